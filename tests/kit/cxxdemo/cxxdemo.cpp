/*
 * cxxdemo.cpp - an out-of-tree example module in C++ (tests/kit/cxxdemo/,
 * built by tests/qemu/test_kit.py against an installed module kit): a class
 * and global objects whose constructors run (from .init_array) before the
 * module's init, and a class hierarchy with a virtual destructor, built in
 * place with placement new (<new>, from the kit) in kmalloc'd memory.  A
 * virtual destructor references the sized operator delete (the deleting
 * destructor), so the module defines it although it never calls delete.
 * Built freestanding, without exceptions or RTTI; globals with non-trivial
 * destructors are refused (g++ registers them with __cxa_atexit).
 */
#include <new>

#include "theseus.h"

void operator delete(void *p) noexcept
{
	kfree(p);
}

void operator delete(void *p, size_t) noexcept
{
	kfree(p);
}

/* Out of line, so the classes' vtables (with their deleting destructors,
 * which call operator delete) are emitted here, as in any real hierarchy. */
struct Shape {
	virtual int area() const;
	virtual ~Shape();
};

struct Rect : Shape {
	Rect(int w, int h) : w_(w), h_(h) {}
	int area() const override;

private:
	int w_, h_;
};

int Shape::area() const
{
	return 0;
}

Shape::~Shape() {}

int Rect::area() const
{
	return w_ * h_;
}

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
	void *mem = kmalloc(sizeof(Rect));
	if (!mem)
		return TH_ENOMEM;
	Shape *s = new (mem) Rect(6, 7);
	int area = s->area();
	s->~Shape();
	kfree(mem);
	log_info("cxxdemo", "C++ module ready: accumulator %d, constructors run %d, area %d", v,
		 constructed, area);
	return v == 42 && constructed == 1 && area == 42 ? TH_OK : TH_EINVAL;
}

TH_MODULE("cxxdemo", "1.0", "an out-of-tree C++ example: a class, global objects",
	  .init = cxxdemo_init);
