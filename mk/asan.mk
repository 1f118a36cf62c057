# ASan + UBSan build of everything (issue #6): the same fragments built
# again into $(BUILD)/asan with sanitizer CFLAGS (passed through the
# environment, so the Makefile's `CFLAGS +=` still adds the includes and
# warnings), then the unit tests and the netns policy test run on it
# (tests/suites/85-asan.sh, also part of `make test`). gcc, so the
# dlopen'ed key-provider plugins link against the shared libasan.

ASAN_BUILD	:= $(BUILD)/asan
# -Wno-format-truncation: gcc's truncation analysis gives false alarms on
# instrumented code; the normal build keeps the warning as an error.
ASAN_CFLAGS	:= -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
		   -fno-sanitize-recover=all -Wno-format-truncation

.PHONY: asan asan-build
asan-build:
	$(MAKE) --no-print-directory BUILD=$(ASAN_BUILD) $(ASAN_BUILD)/vmlinux.h
	env CFLAGS="$(ASAN_CFLAGS)" $(MAKE) --no-print-directory \
		BUILD=$(ASAN_BUILD) CC=gcc all

asan: asan-build
	TCSEG_ASAN_BUILD=$(abspath $(ASAN_BUILD)) TCSEG_ASAN_BUILT=1 \
		tests/suites/85-asan.sh
