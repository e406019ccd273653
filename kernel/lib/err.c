/*
 * err.c - names and messages for the error codes in err.h.
 * Built into the kernel, the host tests and theseusctl.
 */
#include "err.h"

const char *th_err_name(int err)
{
	switch (err) {
	case TH_OK:
		return "OK";
#define TH_ERR_NAME_(name, num, msg) \
	case -(num):                 \
		return #name;
		TH_ERRORS(TH_ERR_NAME_)
#undef TH_ERR_NAME_
	}
	return "E?";
}

const char *th_strerror(int err)
{
	switch (err) {
	case TH_OK:
		return "success";
#define TH_ERR_MSG_(name, num, msg) \
	case -(num):                \
		return msg;
		TH_ERRORS(TH_ERR_MSG_)
#undef TH_ERR_MSG_
	}
	return "unknown error";
}
