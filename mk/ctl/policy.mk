# ctl/policy: value parsers, the rule language, the policy compiler with
# its reference models, pod names and the pod registration record.
# Uses ctl/lib.

POLICY_SRCS	:= $(wildcard ctl/policy/*.c)
POLICY_OBJS	:= $(POLICY_SRCS:%.c=$(BUILD)/%.o)
POLICY_LIB	:= $(BUILD)/libtcseg_policy.a
POLICY_TESTS	:= $(patsubst %,$(BUILD)/tests/unit/test_%,parse rule compile json pods ranges)
POLICY_BENCH	:= $(BUILD)/bench/compile_bench

$(POLICY_LIB): $(POLICY_OBJS)
	$(ctl_archive)

$(POLICY_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(POLICY_LIB) \
		 $(CTLLIB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ $(POLICY_LIB) \
		$(CTLLIB_LIB) -lcmocka

$(POLICY_BENCH): bench/compile_bench.c $(POLICY_LIB) $(CTLLIB_LIB)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(POLICY_LIB) $(CTLLIB_LIB)

ALL_TARGETS	+= $(POLICY_LIB) $(POLICY_TESTS) $(POLICY_BENCH)
UNIT_TESTS	+= $(POLICY_TESTS)
