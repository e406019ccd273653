/*
 * t_oldapi.c - test module "t_oldapi": a record written for module API 1
 * (by hand, as an old kit's TH_MODULE() wrote it): refused with "built for
 * module API 1, kernel has N".
 */
#include "theseus.h"

__attribute__((used, section(TH_MODULE_SECTION), aligned(8)))
static const struct th_module_info oldapi_info = {
	.abi = 1, .name = "t_oldapi", .version = "1.0", .description = "built for API 1",
};
