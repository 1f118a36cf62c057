# tcsegd metrics (issue #5 part 2, seed 002): counters and latency
# histograms, the Prometheus text, the perf_metrics_*.json/.csv files
# (ctl/tcsegd_metrics.c), its cmocka test, and the suite's plot tool
# (bench/plot.py, no build). The object is one of tcsegd's
# (mk/tcsegd.mk builds it); the test links it (and the config library,
# for the perf_metrics_dir key) with stubs of the daemon functions it
# calls (tests/unit/test_metrics.c).

METRICS_OBJ	:= $(BUILD)/tcsegd-obj/tcsegd_metrics.o
METRICS_HDRS	:= ctl/tcsegd.h ctl/tcsegd_corr.h ctl/daemon_config.h \
		   ctl/key_provider.h ctl/tlshub_client.h ctl/loader.h \
		   ctl/capture_loader.h ctl/pod_map.h include/tcseg.h \
		   include/tcseg_keys.h
METRICS_TEST	:= $(BUILD)/tests/unit/test_metrics

$(METRICS_TEST): tests/unit/test_metrics.c $(METRICS_OBJ) $(METRICS_HDRS) \
		 $(BUILD)/libtcseg_daemoncfg.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(METRICS_OBJ) $(BUILD)/libtcseg_daemoncfg.a \
		-lcmocka -lpthread

ALL_TARGETS	+= $(METRICS_TEST)
UNIT_TESTS	+= $(METRICS_TEST)
