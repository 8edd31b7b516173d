#!/usr/bin/env bash
# Builds the test guest for virtio-crypto over vhost-user (docs/vhost.md): Debian's kernel (linux-image-amd64) and an
# initramfs holding busybox-static, the virtio_crypto module with its dependencies (in modules.dep order) and the
# static AF_ALG test program scripts/guest/fabric-kat.c. The guest's init loads the modules, runs the program (its
# FABRIC-* lines go to the serial console) and powers off.
#
# Usage: scripts/guest-image.sh [OUT_DIR]      (default: data/guest under the repo; data/ is git-ignored)
# Prints the two paths (vmlinuz, initrd) on stdout. Idempotent: a finished image whose inputs have not changed is
# kept. Needs: apt-get (download only; nothing is installed), dpkg-deb, gcc, cpio, gzip, busybox-static.
# Exit codes: 0 built or up to date; 2 a tool or package is missing (one line on stderr says which); 3 build failed.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-"$here/../data/guest"}
mkdir -p "$out"
out=$(cd "$out" && pwd)

die() { echo "guest-image: $2" >&2; exit "$1"; }

for tool in apt-get apt-cache dpkg-deb tar gcc objcopy cpio gzip; do
    command -v "$tool" >/dev/null || die 2 "$tool not found (apt-get install -y gcc binutils cpio gzip)"
done
busybox=/bin/busybox
# No pipes here: under pipefail, `busybox --help | head -1` fails whenever busybox gets SIGPIPE first.
file_static=""
if [ -x "$busybox" ]; then
    case "$("$busybox" --help 2>&1 || true)" in
        BusyBox*) file_static=$(LC_ALL=C ldd "$busybox" 2>&1 || true) ;;
    esac
fi
case "$file_static" in
    *"not a dynamic executable"*|*"statically linked"*) ;;
    *) die 2 "a static busybox is needed at $busybox (apt-get install -y busybox-static)" ;;
esac

# The kernel package linux-image-amd64 points at (e.g. linux-image-6.1.0-57-amd64); downloaded and unpacked, never
# installed, so no initramfs hook or bootloader on this host is touched.
kpkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$kpkg" ] || die 2 "apt-cache knows no linux-image-amd64 (run apt-get update)"
kver=${kpkg#linux-image-}
stamp="$kpkg $(sha256sum "$here/guest/fabric-kat.c" "$here/guest-image.sh" | sha256sum | cut -c1-16)"
if [ -f "$out/stamp" ] && [ "$(cat "$out/stamp")" = "$stamp" ] && [ -f "$out/vmlinuz" ] && [ -f "$out/initrd.gz" ]; then
    echo "$out/vmlinuz"
    echo "$out/initrd.gz"
    exit 0
fi

kroot="$out/kernel-$kver"
if [ ! -d "$kroot/lib/modules/$kver" ]; then
    rm -rf "$out/deb" "$kroot"
    mkdir -p "$out/deb"
    (cd "$out/deb" && apt-get download "$kpkg" >/dev/null) || die 2 "apt-get download $kpkg failed"
    # Only the kernel and the module folders the guest loads from (the whole package is about 400 MB unpacked).
    mkdir -p "$kroot"
    dpkg-deb --fsys-tarfile "$out"/deb/"$kpkg"_*.deb | tar -x -C "$kroot" --wildcards './boot/vmlinuz-*' \
        './lib/modules/*/modules.builtin' './lib/modules/*/kernel/drivers/virtio/*' './lib/modules/*/kernel/crypto/*' \
        './lib/modules/*/kernel/drivers/crypto/virtio/*' || die 3 "unpacking $kpkg failed"
    rm -rf "$out/deb"
fi
moddir="$kroot/lib/modules/$kver"

# virtio_crypto and what it needs, dependencies first. The package ships no modules.dep (depmod runs at install), so
# each module's own .modinfo "depends=" is read with objcopy. The transport (virtio_pci) and AF_ALG's skcipher
# interface (algif_skcipher) are not dependencies of virtio_crypto, so they are named too; built-in ones are skipped.
want=(virtio_pci virtio_crypto algif_skcipher)
order=()
find_module() {
    find "$moddir/kernel" \( -name "$1.ko*" -o -name "$(echo "$1" | tr _ -).ko*" \) -print -quit
}
add_module() {
    local name=$1 path deps d o
    path=$(find_module "$name")
    if [ -z "$path" ]; then
        grep -Eq "/($name|$(echo "$name" | tr _ -))\.ko" "$moddir/modules.builtin" || die 3 "module $name is neither a file nor built in ($kver)"
        return 0
    fi
    for o in "${order[@]}"; do [ "$o" = "$path" ] && return 0; done
    case "$path" in
        *.xz) deps=$(xz -dc "$path" >"$out/mod.tmp" && objcopy -O binary --only-section=.modinfo "$out/mod.tmp" /dev/stdout | tr '\0' '\n' | sed -n 's/^depends=//p') ;;
        *) deps=$(objcopy -O binary --only-section=.modinfo "$path" /dev/stdout | tr '\0' '\n' | sed -n 's/^depends=//p') ;;
    esac
    for d in $(echo "$deps" | tr ',' ' '); do add_module "$d"; done
    order+=("$path")
}
for m in "${want[@]}"; do add_module "$m"; done
rm -f "$out/mod.tmp"

stage=$(mktemp -d "$out/stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage"/{bin,sbin,proc,sys,dev,tmp,modules}
cp "$busybox" "$stage/bin/busybox"
for applet in sh mount insmod poweroff cat echo sleep grep; do ln -s busybox "$stage/bin/$applet"; done
gcc -static -O2 -Wall -Wextra -Werror -o "$stage/bin/fabric-kat" "$here/guest/fabric-kat.c" || die 3 "gcc -static failed (libc6-dev provides the static libc)"

loads=""
for path in "${order[@]}"; do
    name=$(basename "$path")
    case "$name" in
        *.xz) xz -dc "$path" >"$stage/modules/${name%.xz}"; name=${name%.xz} ;;
        *) cp "$path" "$stage/modules/$name" ;;
    esac
    loads+="insmod /modules/$name || echo \"FABRIC-ERROR insmod $name failed\""$'\n'
done

# Kernel command line: fabric.seconds=N sets the throughput loop's length (0 skips it); fabric.hold=1 keeps the guest
# running after its tests (a VM the node agent runs until it is deleted) instead of powering off.
cat >"$stage/init" <<EOF
#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "FABRIC-BOOT uptime=\$(cat /proc/uptime)"
$loads
seconds=2
hold=0
for arg in \$(cat /proc/cmdline); do
    case "\$arg" in
        fabric.seconds=*) seconds=\${arg#fabric.seconds=} ;;
        fabric.hold=*) hold=\${arg#fabric.hold=} ;;
    esac
done
/bin/fabric-kat "\$seconds"
echo "FABRIC-END uptime=\$(cat /proc/uptime)"
if [ "\$hold" = 1 ]; then
    echo "FABRIC-HOLD running until stopped"
    while :; do sleep 3600; done
fi
poweroff -f
EOF
chmod +x "$stage/init"

(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -9) >"$out/initrd.gz.tmp"
mv "$out/initrd.gz.tmp" "$out/initrd.gz"
cp "$kroot/boot/vmlinuz-$kver" "$out/vmlinuz"
echo "$stamp" >"$out/stamp"
echo "$out/vmlinuz"
echo "$out/initrd.gz"
