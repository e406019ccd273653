/*
 * acpi_locate.c - where the kernel reads firmware tables from (kernel only;
 * see acpi.h): the RSDP the loader copied, else one found in the BIOS area,
 * and the mapping of firmware memory the table parsers read through.
 */
#include "acpi.h"

#include "cmdline.h"
#include "klibc.h"
#include "param.h"
#include "vmm.h"

/* Firmware tables are read in place, below 4 GiB, never page 0: mapped
 * read-only as they are found (only RAM is mapped by default, vmm.h). */
const void *acpi_map_firmware(uint64_t addr, uint64_t len, void *ctx)
{
	(void)ctx;
	const void *p;
	if (addr < 4096 || !len || len > IDENTITY_MAP_BYTES || addr > IDENTITY_MAP_BYTES - len ||
	    vmm_map_firmware(addr, len, &p))
		return NULL;
	return p;
}

bool acpi_off(const char *cmdline)
{
	char v[8];
	return !cmdline_get(cmdline, "acpi", v, sizeof v) && !strcmp(v, "off");
}

int acpi_rsdp_locate(const struct boot_info *boot, const uint8_t **rsdp, size_t *len)
{
	if (boot->acpi_rsdp_len) {
		*rsdp = boot->acpi_rsdp;
		*len = boot->acpi_rsdp_len;
		return TH_OK;
	}
	uint64_t at;
	int err = acpi_rsdp_scan(acpi_map_firmware, NULL, &at);
	if (err)
		return err;
	if (!(*rsdp = acpi_map_firmware(at, ACPI_RSDP_V2_BYTES, NULL)))
		return TH_EINVAL;
	*len = ACPI_RSDP_V2_BYTES;
	return TH_OK;
}
