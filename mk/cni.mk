# tcseg-cni, the chained CNI plugin (ctl/cni/, docs/CNI.md), and its
# unit test. JSON through Debian's libjansson; the plugin runs tcctl.

CNI_SRCS	:= $(wildcard ctl/cni/*.c)
CNI_OBJS	:= $(patsubst ctl/cni/%.c,$(BUILD)/cni/%.o,$(CNI_SRCS))
CNI_HDRS	:= $(wildcard ctl/cni/*.h) include/tcseg.h ctl/parse.h
CNI_LIB_OBJS	:= $(BUILD)/cni/cni_conf.o $(BUILD)/cni/cni_state.o
CNI_TEST	:= $(BUILD)/tests/unit/test_cni_conf

$(CNI_OBJS): $(BUILD)/cni/%.o: ctl/cni/%.c $(CNI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ictl/cni -c $< -o $@

$(BUILD)/tcseg-cni: $(CNI_OBJS) $(BUILD)/libtcseg_policy.a
	$(CC) $(CFLAGS) -o $@ $(CNI_OBJS) $(BUILD)/libtcseg_policy.a \
		-ljansson -lmnl

$(CNI_TEST): tests/unit/test_cni_conf.c $(CNI_LIB_OBJS) \
	     $(BUILD)/libtcseg_policy.a $(CNI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ictl/cni -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ \
		$(CNI_LIB_OBJS) $(BUILD)/libtcseg_policy.a -ljansson -lcmocka

ALL_TARGETS	+= $(BUILD)/tcseg-cni $(CNI_TEST)
UNIT_TESTS	+= $(CNI_TEST)
