/*
 * rollout_lock.c - one rollout at a time per --state file.  Two theseusctl
 * rollouts given the same FILE would each rewrite it from their own view
 * (last writer wins), losing what the other recorded: a host one of them
 * swapped would be listed as "already" or with no old hash, and a later
 * stop or resume could no longer put it back.  A run therefore holds an
 * exclusive flock(2) on FILE.lock (created beside FILE, mode 0600, never
 * removed: removing it would let a third run lock a new file while a second
 * still waits on the old one) for as long as it runs; the lock goes with
 * the process, so a killed run leaves nothing to clean up.  The file holds
 * the pid of the holder, for the message a second run gets.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rollout.h"

/* The holder's pid as written in the lock file, 0 when unreadable. */
static long holder_pid(int fd)
{
	char buf[24];
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	char *end;
	long pid = strtol(buf, &end, 10);
	return (end != buf && (*end == '\n' || !*end) && pid > 0) ? pid : 0;
}

int rollout_state_lock(const char *path, int *fd_out, struct th_errbuf *eb)
{
	char lock[PATH_MAX];
	*fd_out = -1;
	if ((size_t)snprintf(lock, sizeof lock, "%s.lock", path) >= sizeof lock)
		return th_errf(eb, TH_EINVAL, "--state %.40s...: path too long", path);
	struct stat st;
	if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))   /* before making DIR.lock */
		return th_errf(eb, TH_EINVAL, "--state %s: is a directory, not a state file",
			       path);
	int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return th_errf(eb, TH_EIO, "%s: %s", lock, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		long pid = e == EWOULDBLOCK ? holder_pid(fd) : 0;
		close(fd);
		if (e != EWOULDBLOCK)
			return th_errf(eb, TH_EIO, "%s: lock: %s", lock, strerror(e));
		if (pid)
			return th_errf(eb, TH_EBUSY, "%s is in use by another rollout (theseusctl "
				       "pid %ld holds %s): wait for it to end, or use another "
				       "--state file", path, pid, lock);
		return th_errf(eb, TH_EBUSY, "%s is in use by another rollout (%s is locked): "
			       "wait for it to end, or use another --state file", path, lock);
	}
	char pid[24];
	int n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	/* Should this fail, only a second run's message lacks the pid. */
	bool noted = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) == n;
	(void)noted;
	*fd_out = fd;
	return TH_OK;
}

void rollout_state_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* drops the flock */
}
