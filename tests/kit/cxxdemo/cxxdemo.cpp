/*
 * cxxdemo.cpp - an out-of-tree example module in C++ (tests/kit/cxxdemo/,
 * built by tests/qemu/test_kit.py against an installed module kit): a class
 * and global objects whose constructors run (from .init_array) before the
 * module's init.  Built freestanding, without exceptions or RTTI; globals
 * with non-trivial destructors are not supported (nothing would run them).
 */
#include "theseus.h"

namespace {

class Accumulator {
public:
	explicit Accumulator(int start) : total_(start) {}
	int add(int x)
	{
		total_ += x;
		return total_;
	}

private:
	int total_;
};

int constructed;

struct Marker {
	Marker() { ++constructed; }
};

Accumulator accumulator(40);
Marker marker;

} // namespace

static int cxxdemo_init()
{
	int v = accumulator.add(2);
	log_info("cxxdemo", "C++ module ready: accumulator %d, constructors run %d", v,
		 constructed);
	return v == 42 && constructed == 1 ? TH_OK : TH_EINVAL;
}

TH_MODULE("cxxdemo", "1.0", "an out-of-tree C++ example: a class, global objects",
	  .init = cxxdemo_init);
