# ctl/tcctl: the CLI over the pinned maps and tcsegd's control socket.
# Uses ctl/dataplane, ctl/policy and ctl/lib. tcctl.c holds main().

TCCTL_SRCS	:= $(filter-out ctl/tcctl/tcctl.c,$(wildcard ctl/tcctl/*.c))
TCCTL_OBJS	:= $(TCCTL_SRCS:%.c=$(BUILD)/%.o)
TCCTL_LIB	:= $(BUILD)/libtcseg_tcctl.a

$(TCCTL_LIB): $(TCCTL_OBJS)
	$(ctl_archive)

$(BUILD)/tcctl: $(BUILD)/ctl/tcctl/tcctl.o $(TCCTL_LIB) $(DATAPLANE_LIB) \
		$(POLICY_LIB) $(CTLLIB_LIB)
	$(CC) $(CFLAGS) -o $@ $< $(TCCTL_LIB) $(DATAPLANE_LIBS)

ALL_TARGETS	+= $(TCCTL_LIB) $(BUILD)/tcctl
