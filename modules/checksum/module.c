/*
 * module.c - the checksum module's record and init: a known-answer self
 * test of both hashes, so a broken build fails its load instead of
 * corrupting data later.
 */
#include "theseus.h"
#include "checksum/checksum.h"

static int checksum_init(void)
{
	if (checksum_crc32("123456789", 9) != 0xcbf43926u ||
	    checksum_fnv1a32("a", 1) != 0xe40c292cu) {
		log_error("checksum", "self test failed");
		return TH_EFAULT;
	}
	log_info("checksum", "crc32 and fnv1a ready (self test passed)");
	return TH_OK;
}

TH_MODULE("checksum", "1.0", "CRC-32 and FNV-1a hash library", .init = checksum_init);
