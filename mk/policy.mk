# User-space policy library (ctl/parse.c, rule.c, compile.c, json*.c):
# value parsers, the rule language, the policy compiler with its reference
# models, the JSON writer and printer, and the JSON reader (over libjansson:
# who calls it links -ljansson). tcctl and tcsegd link $(POLICY_LIB).
# Fragments sorted before this one must spell the path out (or use
# secondary expansion): $(POLICY_LIB) is empty when they are read.

POLICY_SRCS	:= ctl/parse.c ctl/rule.c ctl/compile.c ctl/json.c \
		   ctl/pod_name.c ctl/pod_reg.c ctl/json_read.c \
		   ctl/json_print.c
POLICY_OBJS	:= $(patsubst ctl/%.c,$(BUILD)/ctl/%.o,$(POLICY_SRCS))
POLICY_LIB	:= $(BUILD)/libtcseg_policy.a
POLICY_HDRS	:= ctl/parse.h ctl/rule.h ctl/compile.h ctl/json.h include/tcseg.h \
		   ctl/pod_name.h ctl/pod_reg.h ctl/json_read.h ctl/json_print.h
POLICY_TESTS	:= $(patsubst %,$(BUILD)/tests/unit/test_%,parse rule compile json pods ranges)
POLICY_BENCH	:= $(BUILD)/bench/compile_bench
JSON_READ_TEST	:= $(BUILD)/tests/unit/test_json_read

$(POLICY_OBJS): $(BUILD)/ctl/%.o: ctl/%.c $(POLICY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -c $< -o $@

$(POLICY_LIB): $(POLICY_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	$(AR) rcs $@ $^

$(POLICY_TESTS): $(BUILD)/tests/unit/test_%: tests/unit/test_%.c $(POLICY_LIB) $(POLICY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ $(POLICY_LIB) -lcmocka

$(JSON_READ_TEST): tests/unit/test_json_read.c $(POLICY_LIB) $(POLICY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(POLICY_LIB) -ljansson -lcmocka

$(POLICY_BENCH): bench/compile_bench.c $(POLICY_LIB) $(POLICY_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) $< -o $@ $(POLICY_LIB)

ALL_TARGETS	+= $(POLICY_LIB) $(POLICY_TESTS) $(POLICY_BENCH) $(JSON_READ_TEST)
UNIT_TESTS	+= $(POLICY_TESTS) $(JSON_READ_TEST)
