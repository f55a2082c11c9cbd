#!/usr/bin/env bash
# Builds newlib for the service VM from Debian's newlib-source (platform.md §6) into DIR:
# DIR/src (unpacked), DIR/obj (build tree), DIR/install (prefix). Takes about 1.5 minutes on two
# cores; the Makefile runs it only when DIR/install's libc.a is missing.
set -euo pipefail

dir=${1:?usage: newlib.sh DIR}
tarball=/usr/src/newlib/newlib-3.3.0.tar.xz
[[ -r $tarball ]] || { echo "newlib.sh: $tarball missing (Debian package newlib-source)" >&2; exit 1; }

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
rm -rf "$dir/src" "$dir/obj" "$dir/install"
mkdir -p "$dir/src" "$dir/obj"
tar -xJf "$tarball" -C "$dir/src"
src=$(find "$dir/src" -mindepth 2 -maxdepth 2 -name configure -printf '%h\n' | head -n1)
[[ -n $src ]] || { echo "newlib.sh: no configure script in $tarball" >&2; exit 1; }

# -mno-red-zone: the service VM takes interrupts in ring 0 on the stack it runs on.
cd "$dir/obj"
"$src/configure" --target=x86_64-elf --prefix="$dir/install" --disable-multilib \
	--disable-newlib-supplied-syscalls --enable-newlib-nano-malloc --disable-nls \
	CC_FOR_TARGET=gcc AR_FOR_TARGET=ar AS_FOR_TARGET=as LD_FOR_TARGET=ld \
	RANLIB_FOR_TARGET=ranlib NM_FOR_TARGET=nm OBJDUMP_FOR_TARGET=objdump \
	CFLAGS_FOR_TARGET="-O2 -g0 -ffreestanding -fno-pic -fno-pie -mno-red-zone -fno-stack-protector -mcmodel=small" \
	>"$dir/configure.log" 2>&1 || { tail -n 20 "$dir/configure.log" >&2; exit 1; }
make -j2 all-target-newlib >"$dir/build.log" 2>&1 || { tail -n 30 "$dir/build.log" >&2; exit 1; }
make install-target-newlib >"$dir/install.log" 2>&1 || { tail -n 20 "$dir/install.log" >&2; exit 1; }
rm -rf "$dir/obj" "$dir/src"
test -f "$dir/install/x86_64-elf/lib/libc.a"
echo "newlib.sh: built $dir/install/x86_64-elf/lib/libc.a"
