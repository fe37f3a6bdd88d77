; paging: two-level paging with 4 KiB pages and 4 MiB (PSE) pages, #PF error
; codes and CR2, CR0.WP, user/supervisor, INVLPG, CR3 reload, A/D bits.
%include "common.inc"

PG_P    equ 0x001
PG_RW   equ 0x002
PG_US   equ 0x004
PG_PS   equ 0x080

LIN_NP    equ 0x00400000        ; pt1[0]: not present
LIN_RO    equ 0x00401000        ; pt1[1]: supervisor, read-only
LIN_SUP   equ 0x00402000        ; pt1[2]: supervisor, read/write
LIN_URO   equ 0x00403000        ; pt1[3]: user, read-only
LIN_REMAP equ 0x00405000        ; pt1[5]: frame_a or frame_b
LIN_URW   equ 0x00406000        ; pt1[6]: user, read/write
LIN_AD    equ 0x00800000        ; pt2[0]: user, read/write (A/D test)
LIN_HIGH  equ 0xC0000000        ; pd[0x300]: 4 MiB supervisor alias of 0..4 MiB

; PTE rd  -- print "label=xxx" low 12 bits of the dword at rd
%macro LOW12 2
        PRINT %1, "="
        mov eax, %2
        and eax, 0xFFF
        HEX 3, eax
%endmacro

main:
        PRINT "paging", 10
        ; frame contents
        mov dword [frame_ro], 0x52525252
        mov dword [frame_sup], 0x53535353
        mov dword [frame_uro + 0x10], 0x55555555
        mov dword [frame_a], 0xAAAAAAAA
        mov dword [frame_b], 0xBBBBBBBB
        ; page directory
        mov dword [pd + 0 * 4], 0 | PG_PS | PG_US | PG_RW | PG_P
        mov eax, pt1
        or eax, PG_US | PG_RW | PG_P
        mov [pd + 1 * 4], eax
        mov eax, pt2
        or eax, PG_US | PG_RW | PG_P
        mov [pd + 2 * 4], eax
        mov dword [pd + 0x300 * 4], 0 | PG_PS | PG_RW | PG_P
        ; page tables
        mov eax, frame_ro
        or eax, PG_P
        mov [pt1 + 1 * 4], eax
        mov eax, frame_sup
        or eax, PG_RW | PG_P
        mov [pt1 + 2 * 4], eax
        mov eax, frame_uro
        or eax, PG_US | PG_P
        mov [pt1 + 3 * 4], eax
        mov eax, frame_a
        or eax, PG_RW | PG_P
        mov [pt1 + 5 * 4], eax
        mov eax, frame_urw
        or eax, PG_US | PG_RW | PG_P
        mov [pt1 + 6 * 4], eax
        mov eax, frame_ad
        or eax, PG_US | PG_RW | PG_P
        mov [pt2 + 0 * 4], eax
        ; enable: CR4.PSE, CR3, CR0.PG|WP
        mov eax, cr4
        or eax, 0x10
        mov cr4, eax
        mov eax, pd
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80010000
        mov cr0, eax
        jmp .paged
.paged:
        PRINT "paging on: cr0="
        mov eax, cr0
        H8 eax
        PRINT " cr4="
        mov eax, cr4
        H8 eax
        PRINT " cr3==pd:"
        mov eax, cr3
        cmp eax, pd
        call yesno
        NL
        LOW12 "pde0 (4M, code+stack)", [pd]
        NL

        ; ---- ring 0 faults ----
        PRINT "read not-present: "
        TRY
        mov eax, [LIN_NP + 0x123]
        ENDTRY
        PRINT "write not-present: "
        TRY
        mov dword [LIN_NP + 0x456], 1
        ENDTRY
        PRINT "fetch not-present: "
        TRY
        mov dword [exc_eip_base], 0         ; print the absolute eip
        jmp LIN_NP + 0x10
        ENDTRY
        PRINT "read read-only: "
        TRY
        mov ebx, [LIN_RO]
        ENDTRY
        PRINT "  value="
        H8 ebx
        NL
        PRINT "write read-only, WP=1: "
        TRY
        mov dword [LIN_RO + 4], 0x11111111
        ENDTRY
        mov eax, cr0
        and eax, ~0x10000
        mov cr0, eax
        PRINT "write read-only, WP=0: "
        TRY
        mov dword [LIN_RO + 4], 0x22222222
        ENDTRY
        PRINT "  value="
        H8 [LIN_RO + 4]
        NL
        mov eax, cr0
        or eax, 0x10000
        mov cr0, eax
        PRINT "4M alias read: "
        TRY
        mov ebx, [LIN_HIGH + magic]
        ENDTRY
        PRINT "  value="
        H8 ebx
        NL
        LOW12 "pde300 after read", [pd + 0x300 * 4]
        mov dword [LIN_HIGH + scratch], 0x12345678
        LOW12 " after write", [pd + 0x300 * 4]
        PRINT " scratch="
        H8 [scratch]
        NL

        ; ---- ring 3 faults ----
        mov eax, user_main
        mov ecx, 0x202
        call ring3_call

        ; ---- INVLPG and CR3 reload ----
        mov eax, [LIN_REMAP]
        PRINT "remap: frame a="
        H8 eax
        mov eax, frame_b
        or eax, PG_RW | PG_P
        mov [pt1 + 5 * 4], eax
        invlpg [LIN_REMAP]
        mov eax, [LIN_REMAP]
        PRINT " after pte->b + invlpg="
        H8 eax
        mov eax, frame_a
        or eax, PG_RW | PG_P
        mov [pt1 + 5 * 4], eax
        mov eax, cr3
        mov cr3, eax
        mov eax, [LIN_REMAP]
        PRINT " after pte->a + cr3 reload="
        H8 eax
        NL

        ; ---- accessed / dirty ----
        LOW12 "a/d: pde2", [pd + 2 * 4]
        LOW12 " pte", [pt2]
        mov eax, [LIN_AD]
        LOW12 " | after read: pde2", [pd + 2 * 4]
        LOW12 " pte", [pt2]
        mov dword [LIN_AD], 1
        LOW12 " | after write: pde2", [pd + 2 * 4]
        LOW12 " pte", [pt2]
        NL
        and dword [pt2], ~0x60
        invlpg [LIN_AD]
        mov dword [LIN_AD + 8], 2
        LOW12 "a/d cleared, write first: pte", [pt2]
        and dword [pt2], ~0x60
        invlpg [LIN_AD]
        mov ebx, [LIN_AD + 8]
        LOW12 " | cleared, read: pte", [pt2]
        PRINT " value="
        H8 ebx
        NL
        LOW12 "pte ro", [pt1 + 1 * 4]
        LOW12 " pte remap", [pt1 + 5 * 4]
        LOW12 " pte urw", [pt1 + 6 * 4]
        NL
        ; paging off again
        mov eax, cr0
        and eax, ~0x80000000
        mov cr0, eax
        jmp .unpaged
.unpaged:
        PRINT "paging off: cr0="
        mov eax, cr0
        H8 eax
        NL
        ret

yesno:
        jne .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret

; ------------------------------------------------------------------ ring 3
user_main:
        PRINT "user read supervisor: "
        TRY
        mov eax, [LIN_SUP]
        ENDTRY
        PRINT "user write supervisor: "
        TRY
        mov dword [LIN_SUP], 1
        ENDTRY
        PRINT "user read read-only: "
        TRY
        mov ebx, [LIN_URO + 0x10]
        ENDTRY
        PRINT "  value="
        H8 ebx
        NL
        PRINT "user write read-only: "
        TRY
        mov dword [LIN_URO + 0x10], 1
        ENDTRY
        PRINT "user read not-present: "
        TRY
        mov eax, [LIN_NP + 0x20]
        ENDTRY
        PRINT "user write not-present: "
        TRY
        mov dword [LIN_NP + 0x24], 1
        ENDTRY
        PRINT "user read 4M supervisor: "
        TRY
        mov eax, [LIN_HIGH + magic]
        ENDTRY
        PRINT "user fetch 4M supervisor: "
        TRY
        mov dword [exc_eip_base], 0
        jmp LIN_HIGH + user_main
        ENDTRY
        PRINT "user write read/write: "
        TRY
        mov dword [LIN_URW], 0x77777777
        ENDTRY
        PRINT "  value="
        H8 [LIN_URW]
        NL
        RING3_EXIT

section .data
        align 4
magic:   dd 0x4D41474B
scratch: dd 0

section .bss
        alignb 4096
pd:        resb 4096
pt1:       resb 4096
pt2:       resb 4096
frame_ro:  resb 4096
frame_sup: resb 4096
frame_uro: resb 4096
frame_urw: resb 4096
frame_a:   resb 4096
frame_b:   resb 4096
frame_ad:  resb 4096
