/* A minimal printf formatter over a character sink, shared by KCore's
 * consoles (boot/uart.c, arch/arm64/linux/console.c) and the test host (tests/qemu/host). Conversions:
 * %d %i %u %x %p %s %c %%, with an optional '0' flag, a width and 'l'/'ll'/'z'
 * modifiers; %p prints 0x and 16 hex digits. */
#ifndef KCORE_PLATFORM_FMT_H
#define KCORE_PLATFORM_FMT_H

#include <stdarg.h>

void fmt_vprint(void (*put)(char c), const char *fmt, va_list ap);

#endif
