# tcseg-cni, the chained CNI plugin (ctl/cni/, docs/CNI.md), and its
# unit test. JSON through Debian's libjansson; the plugin runs tcctl.
# Only the two objects of the policy library it needs (the JSON writer,
# ctl/json.c, names itself jsonw_* and links beside jansson anyway).

CNI_SRCS	:= $(wildcard ctl/cni/*.c)
CNI_OBJS	:= $(patsubst ctl/cni/%.c,$(BUILD)/cni/%.o,$(CNI_SRCS))
CNI_HDRS	:= $(wildcard ctl/cni/*.h) include/tcseg.h ctl/parse.h ctl/pod_name.h
CNI_LIB_OBJS	:= $(BUILD)/cni/cni_conf.o $(BUILD)/cni/cni_state.o
CNI_TEST	:= $(BUILD)/tests/unit/test_cni_conf

$(CNI_OBJS): $(BUILD)/cni/%.o: ctl/cni/%.c $(CNI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ictl/cni -c $< -o $@

$(BUILD)/tcseg-cni: $(CNI_OBJS) $(BUILD)/ctl/parse.o $(BUILD)/ctl/pod_name.o
	$(CC) $(CFLAGS) -o $@ $(CNI_OBJS) $(BUILD)/ctl/parse.o $(BUILD)/ctl/pod_name.o \
		-ljansson -lmnl

$(CNI_TEST): tests/unit/test_cni_conf.c $(CNI_LIB_OBJS) \
	     $(BUILD)/ctl/parse.o $(CNI_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -Ictl/cni -DTCSEG_SRC_ROOT='"$(CURDIR)"' $< -o $@ \
		$(CNI_LIB_OBJS) $(BUILD)/ctl/parse.o -ljansson -lcmocka

ALL_TARGETS	+= $(BUILD)/tcseg-cni $(CNI_TEST)
UNIT_TESTS	+= $(CNI_TEST)
