/*
 * err.h - the project's one error enum, shared by the kernel, modules,
 * statedb, the control protocol and theseusctl.
 *
 * Fallible functions return int: 0 (TH_OK) or a negative TH_E* code, and are
 * declared TH_MUST_CHECK so that ignoring the result does not compile.
 * Codes travel on the wire as their absolute value; never renumber one.
 * Builds freestanding (kernel, modules) and hosted (tests, ctl).
 */
#ifndef THESEUS_ERR_H
#define THESEUS_ERR_H

#define TH_MUST_CHECK __attribute__((warn_unused_result))

/* X(name, number, message): the single list the enum and the texts come from. */
#define TH_ERRORS(X)                                                        \
	X(EINVAL, 1, "invalid argument")                                    \
	X(ENOMEM, 2, "out of memory")                                       \
	X(ENOENT, 3, "no such entry")                                       \
	X(EEXIST, 4, "already exists")                                      \
	X(ERANGE, 5, "value out of range")                                  \
	X(EFULL, 6, "bounded store is full")                                \
	X(EBADELF, 7, "malformed ELF object")                               \
	X(ENOSYM, 8, "undefined symbol")                                    \
	X(EDUPSYM, 9, "duplicate symbol")                                   \
	X(ERELOC, 10, "unsupported relocation")                             \
	X(EOVERFLOW, 11, "value does not fit (overflow)")                   \
	X(EBUSY, 12, "in use")                                              \
	X(ESTALE, 13, "stale reference (entry deleted or replaced)")        \
	X(ETYPE, 14, "wrong type or layout version")                        \
	X(ESPILL, 15, "module holds state of its own (state spill)")        \
	X(EAUTH, 16, "unauthenticated")                                     \
	X(EPROTO, 17, "malformed protocol message")                         \
	X(EVERSION, 18, "unsupported protocol version")                     \
	X(EHASH, 19, "hash mismatch")                                       \
	X(ECONFLICT, 20, "expected version does not match (stale request)") \
	X(ETIMEDOUT, 21, "timed out")                                       \
	X(EIO, 22, "input/output error")                                    \
	X(ENODEV, 23, "no such device")                                     \
	X(EAGAIN, 24, "resource temporarily unavailable, try again")        \
	X(EINIT, 25, "module init function failed")                         \
	X(EFAULT, 26, "fault")                                              \
	X(ENOTSUP, 27, "not supported")                                     \
	X(EINCOMPLETE, 28, "object not completely received")               \
	X(ETOOBIG, 29, "too big")                                           \
	X(EDEPEND, 30, "other modules depend on it")                        \
	X(EDENIED, 31, "operation not permitted")

enum th_err {
	TH_OK = 0,
#define TH_ERR_ENUM_(name, num, msg) TH_##name = -(num),
	TH_ERRORS(TH_ERR_ENUM_)
#undef TH_ERR_ENUM_
};

/* "EINVAL" for TH_EINVAL; "OK" for 0; "E?" for an unknown code. */
const char *th_err_name(int err);
/* "invalid argument" for TH_EINVAL; "success" for 0; "unknown error" otherwise. */
const char *th_strerror(int err);

#endif
