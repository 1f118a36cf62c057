# tcseg: TC microsegmentation gateway with a kTLS hand-off.
# `make` builds everything into build/, `make test` runs every test
# (root, BPF and qemu needed: see README.md), `make deps` installs the
# Debian packages the build and the tests need.

BUILD		?= build
CC		?= gcc
CLANG		?= clang
BPFTOOL		?= bpftool
ARCH		:= $(shell uname -m | sed 's/x86_64/x86/;s/aarch64/arm64/')

CFLAGS		?= -O2 -g
CFLAGS		+= -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE \
		   -Iinclude -Ictl -I$(BUILD)
BPF_CFLAGS	:= -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		   -Iinclude -Ibpf -I$(BUILD)
LIBBPF_LIBS	:= -lbpf -lelf -lz

# Fragments append their outputs here.
ALL_TARGETS	:=
UNIT_TESTS	:=

.PHONY: all test deps clean demo format vmtest bench
all: build-all

# ctl/ is one folder per part, lowest first: a part includes headers of its
# own part and of the parts before it only (tools/check-layers.py). Each
# part builds into one static library, $(BUILD)/libtcseg_PART.a, that the
# binaries link (mk/ctl/PART.mk); docs/ARCHITECTURE.md maps them.
CTL_PARTS	:= lib policy dataplane keys daemon tcctl

# $(ctl_archive): the recipe of a part's library
define ctl_archive
@mkdir -p $(@D)
rm -f $@
$(AR) rcs $@ $^
endef

# every ctl/ object, with its header dependencies (-MMD); the generated
# skeleton headers exist before any of them is compiled
$(BUILD)/ctl/%.o: ctl/%.c | $(BUILD)/tcseg.skel.h $(BUILD)/capture.skel.h
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

include $(CTL_PARTS:%=mk/ctl/%.mk)
include $(sort $(wildcard mk/*.mk))
-include $(shell find $(BUILD)/ctl -name '*.d' 2>/dev/null)

build-all: $(ALL_TARGETS)

$(BUILD):
	mkdir -p $@

# Every test: unit, BPF_PROG_TEST_RUN, netns, VM. One summary line at the end.
test: all
	tests/run-all.sh

deps:
	tools/deps.sh

demo: all
	tools/demo.sh

format:
	clang-format -i $$(git ls-files '*.c' '*.h' | grep -v '^bpf/vmlinux')

clean:
	rm -rf $(BUILD)
