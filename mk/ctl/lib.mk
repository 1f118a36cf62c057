# ctl/lib: what every part may use: config files with their permission
# check, the JSON writer, the monotonic clock, the version and minimum
# kernel/libbpf check. Includes nothing of the other parts.

CTLLIB_SRCS	:= $(wildcard ctl/lib/*.c)
CTLLIB_OBJS	:= $(CTLLIB_SRCS:%.c=$(BUILD)/%.o)
CTLLIB_LIB	:= $(BUILD)/libtcseg_lib.a

$(CTLLIB_LIB): $(CTLLIB_OBJS)
	$(ctl_archive)

RUNTIME_TEST	:= $(BUILD)/tests/unit/test_runtime
$(RUNTIME_TEST): tests/unit/test_runtime.c $(CTLLIB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(CTLLIB_LIB) -lbpf -lcmocka

ALL_TARGETS	+= $(CTLLIB_LIB) $(RUNTIME_TEST)
UNIT_TESTS	+= $(RUNTIME_TEST)
