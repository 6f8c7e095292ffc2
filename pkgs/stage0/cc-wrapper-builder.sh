# Writes $out/bin/{cc,gcc,cpp} from cc-wrapper.sh and an empty sysroot.
mkdir -p "$out/bin" "$out/sysroot" "$out/nix-support"
for prog in cc gcc cpp; do
    sed -e "s|@shell@|$shell|g" -e "s|@gcc@|$gcc|g" -e "s|@libc@|$libc|g" \
        -e "s|@binutils@|$binutils|g" -e "s|@sysroot@|$out/sysroot|g" -e "s|@prog@|$prog|g" \
        "$wrapper" > "$out/bin/$prog"
    chmod 555 "$out/bin/$prog"
done
echo "$libc/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" > "$out/nix-support/dynamic-linker"
