/* tests/linux/probe/probe.h */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "probe.h"

int probe_dev = -1, probe_passed, probe_failed;
static const char *probe_name = "probe";

void probe_result(int ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s: %s ", probe_name, ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (ok)
		probe_passed++;
	else
		probe_failed++;
}

int probe_init(const char *name)
{
	probe_name = name;
	probe_dev = open("/dev/kcore_test", O_RDWR);
	if (probe_dev < 0) {
		printf("%s: FAIL /dev/kcore_test: %s\n", name, strerror(errno));
		return -1;
	}
	return 0;
}

int probe_touch(uint64_t pa, enum probe_access how, uint64_t *value)
{
	int fds[2], status;
	pid_t pid;

	if (pipe(fds) != 0)
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		volatile uint64_t *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, probe_dev,
					    (off_t)(pa & ~4095ULL));
		uint64_t v = 0;

		if (p == MAP_FAILED)
			_exit(3);
		if (how == PROBE_READ)
			v = p[(pa & 4095) / 8];
		else
			p[(pa & 4095) / 8] = 0x6b636f7265ULL; /* "kcore" */
		if (write(fds[1], &v, sizeof(v)) != sizeof(v))
			_exit(4);
		_exit(0);
	}
	close(fds[1]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid) {
		close(fds[0]);
		return -1;
	}
	if (value && read(fds[0], value, sizeof(*value)) != sizeof(*value))
		*value = 0;
	close(fds[0]);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}
