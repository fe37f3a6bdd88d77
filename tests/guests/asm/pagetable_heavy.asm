; pagetable_heavy: 20000 rounds of PTE rewrite + INVLPG + touch, switching
; between two page directories by CR3 every 8 rounds; prints checksums.
; (All 4 KiB pages, so a shadow-paging VMM has real work to do.)
%include "common.inc"

N       equ 20000
WINDOW  equ 0x00400000               ; 16 pages at 4 MiB, mapped by pt_a / pt_b
PG_PRW  equ 0x003

main:
        PRINT "pagetable_heavy", 10
        ; identity map 0..4 MiB with 4 KiB pages (shared by both directories)
        xor eax, eax
.low:   mov edx, eax
        shl edx, 12
        or edx, PG_PRW
        mov [pt_low + eax * 4], edx
        inc eax
        cmp eax, 1024
        jb .low
        mov eax, pt_low
        or eax, PG_PRW
        mov [pd_a], eax
        mov [pd_b], eax
        mov eax, pt_a
        or eax, PG_PRW
        mov [pd_a + 4], eax
        mov eax, pt_b
        or eax, PG_PRW
        mov [pd_b + 4], eax
        ; 32 frames: dword 0 = index * 01010101h, dword 1 = 0
        xor eax, eax
.frm:   mov edx, eax
        shl edx, 12
        imul ecx, eax, 0x01010101
        mov [frames + edx], ecx
        mov dword [frames + edx + 4], 0
        inc eax
        cmp eax, 32
        jb .frm
        ; pt_a[k] -> frame k, pt_b[k] -> frame k + 16
        xor eax, eax
.pts:   mov edx, eax
        shl edx, 12
        lea ecx, [frames + edx + PG_PRW]
        mov [pt_a + eax * 4], ecx
        lea ecx, [frames + edx + 16 * 4096 + PG_PRW]
        mov [pt_b + eax * 4], ecx
        inc eax
        cmp eax, 16
        jb .pts

        mov eax, pd_a
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        jmp .on
.on:
        xor ebx, ebx                        ; checksum
        xor ecx, ecx                        ; i
        xor ebp, ebp                        ; 0: pd_a active, 1: pd_b
.loop:  mov esi, ecx
        and esi, 15                         ; k
        imul edi, ecx, 7
        and edi, 31                         ; f
        shl edi, 12
        lea edi, [frames + edi + PG_PRW]
        mov [pt_a + esi * 4], edi
        shl esi, 12
        add esi, WINDOW
        invlpg [esi]
        mov eax, [esi]                      ; touch (read)
        rol ebx, 3
        add ebx, eax
        test ebp, ebp
        jnz .skipw
        add [esi + 4], ecx                  ; touch (write) through pt_a
.skipw: inc ecx
        test ecx, 7
        jnz .next
        xor ebp, 1                          ; switch directories
        mov eax, pd_a
        jz .seta
        mov eax, pd_b
.seta:  mov cr3, eax
        inc dword [switches]
.next:  cmp ecx, N
        jb .loop

        mov eax, pd_a
        mov cr3, eax
        xor edx, edx                        ; checksum of the written words
        xor eax, eax
.sum:   mov esi, eax
        shl esi, 12
        rol edx, 1
        add edx, [frames + esi + 4]
        inc eax
        cmp eax, 32
        jb .sum
        mov eax, cr0
        and eax, ~0x80000000
        mov cr0, eax
        jmp .off
.off:
        PRINT "rounds="
        DEC ecx
        PRINT " cr3 switches="
        DEC [switches]
        PRINT " read checksum="
        H8 ebx
        PRINT " frame checksum="
        H8 edx
        NL
        ret

section .data
        align 4
switches: dd 0

section .bss
        alignb 4096
pd_a:   resb 4096
pd_b:   resb 4096
pt_low: resb 4096
pt_a:   resb 4096
pt_b:   resb 4096
frames: resb 32 * 4096
