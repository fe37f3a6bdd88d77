; elf_hello: the same common code linked as an ELF32 multiboot kernel
; (nasm -f elf32 + ld -Ttext 0x100000), so QEMU's ELF loader path is used.
%include "common.inc"

main:
        PRINT "hello from an ELF32 multiboot kernel", 10
        PRINT "eax at entry="
        H8 [mb_magic]
        mov ebx, [mb_info]
        mov eax, [ebx]                      ; multiboot_info.flags
        and eax, 1
        PRINT " mbi flags bit 0 (mem_lower/mem_upper valid)="
        HEX 1, eax
        NL
        PRINT "bss is zero: "
        mov edi, bss_probe
        mov ecx, 1024
        xor eax, eax
        repe scasd
        je .zero
        PRINT "no", 10
        ret
.zero:  PRINT "yes", 10
        PRINT "data intact: "
        cmp dword [data_probe], 0xC0FFEE42
        jne .bad
        PRINT "yes", 10
        ret
.bad:   PRINT "no", 10
        ret

section .data
data_probe: dd 0xC0FFEE42
section .bss
bss_probe:  resd 1024
