; io_heavy: 200000 port I/O instructions (UART scratch register write/read,
; LSR read, PIC IMR read) plus string I/O; prints a checksum of what was read.
%include "common.inc"

N equ 50000                          ; 4 port I/Os per iteration

main:
        PRINT "io_heavy", 10
        xor ebx, ebx                        ; checksum
        xor ecx, ecx                        ; i
.loop:  mov eax, ecx
        shr eax, 8
        xor eax, ecx
        mov dx, COM1 + 7                    ; scratch register
        out dx, al
        in al, dx
        movzx eax, al
        rol ebx, 5
        add ebx, eax
        mov dx, COM1 + 5                    ; LSR (THRE|TEMT; DR ignored)
        in al, dx
        and eax, 0x60
        xor ebx, eax
        in al, 0x21                         ; IMR = 0xff
        movzx eax, al
        add ebx, eax
        add ebx, ecx
        inc ecx
        cmp ecx, N
        jb .loop
        PRINT "port i/o: "
        DEC ecx
        PRINT " iterations, checksum="
        H8 ebx
        NL

        ; string I/O: OUTSB 256 bytes into the scratch register, INSB them back
        mov edi, buf
        xor eax, eax
.fill:  mov [edi + eax], al
        inc eax
        cmp eax, 256
        jb .fill
        cld
        mov esi, buf
        mov dx, COM1 + 7
        mov ecx, 256
        rep outsb
        mov edi, buf2
        mov ecx, 256
        rep insb
        xor ebx, ebx
        xor eax, eax
        mov esi, buf2
        mov ecx, 256
.sum:   lodsb
        rol ebx, 3
        add ebx, eax
        loop .sum
        PRINT "rep outsb/insb 256: esi-buf="
        mov eax, esi
        sub eax, buf2
        H4 eax
        PRINT " checksum="
        H8 ebx
        PRINT " last="
        movzx eax, byte [buf2 + 255]
        H2 eax
        NL
        ret

section .bss
buf:    resb 256
buf2:   resb 256
