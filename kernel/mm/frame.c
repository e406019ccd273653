/*
 * frame.c - physical frame allocator (see frame.h).
 *
 * Two bitmaps over [base, limit): `usable` marks frames that are RAM and not
 * reserved (kernel image, boot info, modules, low memory), `used` marks
 * frames handed out.  Allocation is first fit from a rotating hint; freeing
 * checks the frames really are allocated, so a double or wild free is an
 * error instead of corruption.
 */
#include "frame.h"

#include "klibc.h"
#include "lock.h"

static struct {
	uint64_t base, limit;
	size_t nframes;
	uint8_t *used, *usable;
	size_t free_count, total_count;
	size_t hint;
} fa;
static struct spinlock frame_lock = SPINLOCK_INIT;

static bool bit(const uint8_t *map, size_t i) { return map[i / 8] & (1u << (i % 8)); }
static void set(uint8_t *map, size_t i) { map[i / 8] |= (uint8_t)(1u << (i % 8)); }
static void clr(uint8_t *map, size_t i) { map[i / 8] &= (uint8_t)~(1u << (i % 8)); }

/* Bits [first, end) of map set (on) or cleared: whole bytes at once. */
static void set_range(uint8_t *map, size_t first, size_t end, bool on)
{
	for (; first < end && first % 8; first++)
		on ? set(map, first) : clr(map, first);
	size_t bytes = (end - first) / 8;
	if (first < end && bytes) {
		memset(map + first / 8, on ? 0xFF : 0, bytes);
		first += bytes * 8;
	}
	for (; first < end; first++)
		on ? set(map, first) : clr(map, first);
}

/* Set bits among the first nbits of map. */
static size_t count_bits(const uint8_t *map, size_t nbits)
{
	size_t n = 0, i = 0;
	for (; i + 8 <= nbits; i += 8) {
		unsigned b = map[i / 8];
		b = b - ((b >> 1) & 0x55);
		b = (b & 0x33) + ((b >> 2) & 0x33);
		n += (b + (b >> 4)) & 0x0F;
	}
	for (; i < nbits; i++)
		n += bit(map, i);
	return n;
}

/* Clamp [b, b+len) to whole frames inside [base, limit); false if empty. */
static bool frame_range(uint64_t b, uint64_t len, bool outward, size_t *first, size_t *end)
{
	uint64_t e = b + len < b ? UINT64_MAX : b + len;
	if (outward) {
		b &= ~(uint64_t)(FRAME_SIZE - 1);
		e = e > UINT64_MAX - (FRAME_SIZE - 1) ? UINT64_MAX & ~(uint64_t)(FRAME_SIZE - 1)
						       : (e + FRAME_SIZE - 1) & ~(uint64_t)(FRAME_SIZE - 1);
	} else {
		b = b > UINT64_MAX - (FRAME_SIZE - 1) ? UINT64_MAX : (b + FRAME_SIZE - 1) & ~(uint64_t)(FRAME_SIZE - 1);
		e &= ~(uint64_t)(FRAME_SIZE - 1);
	}
	if (b < fa.base)
		b = fa.base;
	if (e > fa.limit)
		e = fa.limit;
	if (b >= e)
		return false;
	*first = (size_t)((b - fa.base) / FRAME_SIZE);
	*end = (size_t)((e - fa.base) / FRAME_SIZE);
	return true;
}

int frame_init_at(const struct mem_region *usable, size_t n_usable,
		  const struct mem_region *reserved, size_t n_reserved,
		  uint64_t base, uint64_t limit, uint8_t *bitmap, size_t bitmap_bytes)
{
	if (!bitmap || base % FRAME_SIZE || limit % FRAME_SIZE || limit <= base ||
	    (n_usable && !usable) || (n_reserved && !reserved))
		return TH_EINVAL;
	if (bitmap_bytes < FRAME_BITMAP_BYTES(base, limit))
		return TH_EINVAL;
	fa.base = base;
	fa.limit = limit;
	fa.nframes = (size_t)((limit - base) / FRAME_SIZE);
	size_t half = (fa.nframes + 7) / 8;
	fa.usable = bitmap;
	fa.used = bitmap + half;
	memset(bitmap, 0, half * 2);
	size_t first, end;
	for (size_t i = 0; i < n_usable; i++)
		if (frame_range(usable[i].base, usable[i].len, false, &first, &end))
			set_range(fa.usable, first, end, true);
	for (size_t i = 0; i < n_reserved; i++)
		if (frame_range(reserved[i].base, reserved[i].len, true, &first, &end))
			set_range(fa.usable, first, end, false);
	fa.total_count = count_bits(fa.usable, fa.nframes);
	fa.free_count = fa.total_count;
	fa.hint = 0;
	return TH_OK;
}

static bool run_free(size_t f, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!bit(fa.usable, f + i) || bit(fa.used, f + i))
			return false;
	return true;
}

int frame_alloc(size_t n, uint64_t *phys)
{
	if (!n || !phys)
		return TH_EINVAL;
	uint64_t flags = spin_lock_irqsave(&frame_lock);
	int err = TH_ENOMEM;
	if (n <= fa.free_count && n <= fa.nframes) {
		for (size_t k = 0; k < fa.nframes; k++) {
			size_t f = (fa.hint + k) % fa.nframes;
			if (f + n > fa.nframes) {
				k += fa.nframes - f - 1; /* wrap to frame 0 */
				continue;
			}
			if (!run_free(f, n))
				continue;
			for (size_t i = 0; i < n; i++)
				set(fa.used, f + i);
			fa.free_count -= n;
			fa.hint = (f + n) % fa.nframes;
			*phys = fa.base + (uint64_t)f * FRAME_SIZE;
			err = TH_OK;
			break;
		}
	}
	spin_unlock_irqrestore(&frame_lock, flags);
	return err;
}

int frame_free(uint64_t phys, size_t n)
{
	if (!n || phys % FRAME_SIZE || phys < fa.base || phys >= fa.limit ||
	    n > (fa.limit - phys) / FRAME_SIZE)
		return TH_EINVAL;
	size_t f = (size_t)((phys - fa.base) / FRAME_SIZE);
	uint64_t flags = spin_lock_irqsave(&frame_lock);
	int err = TH_OK;
	for (size_t i = 0; i < n; i++)
		if (!bit(fa.usable, f + i) || !bit(fa.used, f + i))
			err = TH_EINVAL;
	if (!err) {
		for (size_t i = 0; i < n; i++)
			clr(fa.used, f + i);
		fa.free_count += n;
	}
	spin_unlock_irqrestore(&frame_lock, flags);
	return err;
}

size_t frame_free_count(void) { return fa.free_count; }
size_t frame_total_count(void) { return fa.total_count; }
