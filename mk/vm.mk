# VM tests on Debian's stock kernel under qemu (docs/VMTEST.md).
# `make vm-image` fetches the kernel into $(BUILD)/vm/ once and (re)builds
# the small initramfs; `make vmtest` runs tests/vm/run-all.sh in the VM
# (VMTEST=substr runs only the matching tests/vm/ scripts).

VM_DIR		:= $(BUILD)/vm
VMTEST		?=
VMTEST_TIMEOUT	?= 1800

.PHONY: vm-image vmtest

vm-image:
	tools/vm/prepare.sh $(VM_DIR)

vmtest: all vm-image
	TCSEG_BUILD=$(abspath $(BUILD)) tools/vm/run --timeout $(VMTEST_TIMEOUT) \
		-- tests/vm/run-all.sh $(VMTEST)
