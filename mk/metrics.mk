# tcsegd metrics (issue #5 part 2, seed 002): counters and latency
# histograms, the Prometheus text, the perf_metrics_*.json/.csv files
# (ctl/tcsegd_metrics.c), its cmocka test, and the suite's plot tool
# (bench/plot.py, no build). The object is one of tcsegd's
# (mk/tcsegd.mk builds it); a leaf (ctl/tcsegd_metrics.h): the test
# links it alone (and the config library, for the perf_metrics_dir key),
# giving it the hooks the daemon would (tests/unit/test_metrics.c).

METRICS_OBJ	:= $(BUILD)/tcsegd-obj/tcsegd_metrics.o
METRICS_HDRS	:= ctl/tcsegd_metrics.h ctl/daemon_config.h ctl/clock.h \
		   include/tcseg.h include/tcseg_keys.h
METRICS_TEST	:= $(BUILD)/tests/unit/test_metrics

$(METRICS_TEST): tests/unit/test_metrics.c $(METRICS_OBJ) $(METRICS_HDRS) \
		 $(BUILD)/libtcseg_daemoncfg.a
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $< $(METRICS_OBJ) $(BUILD)/libtcseg_daemoncfg.a \
		-lcmocka -lpthread

ALL_TARGETS	+= $(METRICS_TEST)
UNIT_TESTS	+= $(METRICS_TEST)
