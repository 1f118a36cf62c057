# Observability (issue 14): the verdict record's JSON encoder shared by
# tcsegd's verdict log and `tcctl monitor -j` (ctl/verdict_json.c), the
# monitor filters (ctl/monitor_filter.c), and their cmocka test. Both
# objects are built by mk/tcsegd.mk and mk/tcctl.mk; the test compiles
# the sources with the policy library (spelled out: mk/policy.mk sorts
# after this fragment).

OBSERVE_TEST	:= $(BUILD)/tests/unit/test_observe

$(OBSERVE_TEST): tests/unit/test_observe.c ctl/verdict_json.c \
		 ctl/verdict_json.h ctl/monitor_filter.c ctl/monitor_filter.h \
		 include/tcseg.h include/tcseg_names.h $(BUILD)/libtcseg_policy.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< ctl/verdict_json.c ctl/monitor_filter.c \
		$(BUILD)/libtcseg_policy.a -lcmocka

ALL_TARGETS	+= $(OBSERVE_TEST)
UNIT_TESTS	+= $(OBSERVE_TEST)
