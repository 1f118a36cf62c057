# tcsegd control-socket request parser (ctl/tcsegd_proto.c, pure: no
# daemon state) and its cmocka test. The object is one of tcsegd's
# (mk/tcsegd.mk builds it). The fuzzer (fuzz/fuzz_ctl.c) builds the
# source itself in mk/fuzz.mk.

CTLPROTO_OBJ	:= $(BUILD)/tcsegd-obj/tcsegd_proto.o
CTLPROTO_HDRS	:= ctl/tcsegd_proto.h include/tcseg_keys.h
CTLPROTO_TEST	:= $(BUILD)/tests/unit/test_ctl_proto

$(CTLPROTO_TEST): tests/unit/test_ctl_proto.c $(CTLPROTO_OBJ) \
		  $(CTLPROTO_HDRS)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(CTLPROTO_OBJ) -lcmocka

ALL_TARGETS	+= $(CTLPROTO_TEST)
UNIT_TESTS	+= $(CTLPROTO_TEST)
