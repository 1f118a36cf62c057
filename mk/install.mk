# make install [PREFIX=/usr/local] [DESTDIR=...]: tcctl and tcsegd in
# sbin, the key provider plugins in lib/tcseg, tcseg-cni where CNI
# runtimes look (/usr/lib/cni), the systemd unit, man pages, docs and
# example configs. make deb: a Debian package of that (tools/mkdeb.sh,
# dpkg-shlibdeps + dpkg-deb), in $(BUILD)/tcseg_VERSION_ARCH.deb.

PREFIX		?= /usr/local
DESTDIR		?=
SBINDIR		:= $(PREFIX)/sbin
KPDIR		:= $(PREFIX)/lib/tcseg
MANDIR		:= $(PREFIX)/share/man
DOCDIR		:= $(PREFIX)/share/doc/tcseg
CNIDIR		?= /usr/lib/cni
UNITDIR		?= /lib/systemd/system
INSTALL_DOCS	:= README.md $(wildcard docs/*.md)

.PHONY: install deb
install: $(BUILD)/tcctl $(BUILD)/tcsegd $(BUILD)/tcseg-cni $(KP_PLUGINS)
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(KPDIR) $(DESTDIR)$(CNIDIR) \
		$(DESTDIR)$(UNITDIR) $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(DOCDIR)/examples
	install -m 0755 $(BUILD)/tcctl $(BUILD)/tcsegd $(DESTDIR)$(SBINDIR)/
	install -m 0644 $(KP_PLUGINS) $(DESTDIR)$(KPDIR)/
	install -m 0755 $(BUILD)/tcseg-cni $(DESTDIR)$(CNIDIR)/
	sed -e 's|/usr/local/sbin/tcsegd|$(SBINDIR)/tcsegd|' \
	    -e 's|^\[Service\]$$|[Service]\nEnvironment=TCSEG_KP_DIR=$(KPDIR)|' \
	    -e 's|^Documentation=.*|Documentation=man:tcsegd(8) file:$(DOCDIR)/DAEMON.md|' \
	    -e 's|^# systemd unit for tcsegd (install as .*|# systemd unit for tcsegd.|' \
	    config/tcsegd.service >$(DESTDIR)$(UNITDIR)/tcsegd.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/tcsegd.service
	for m in docs/man/*.8; do \
		gzip -9n <$$m >$(DESTDIR)$(MANDIR)/man8/$$(basename $$m).gz; \
	done
	install -m 0644 $(INSTALL_DOCS) $(DESTDIR)$(DOCDIR)/
	install -m 0644 config/capture.conf config/pod_node_mapping.conf \
		$(DESTDIR)$(DOCDIR)/examples/

deb: $(BUILD)/tcctl $(BUILD)/tcsegd $(BUILD)/tcseg-cni $(KP_PLUGINS)
	tools/mkdeb.sh $(BUILD)
