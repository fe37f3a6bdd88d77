; gp_ring3: privileged and IOPL-sensitive instructions at CPL 3, the TSS I/O
; permission bitmap, POPF/PUSHF behaviour at CPL 3 for IOPL 0 and IOPL 3.
%include "common.inc"

main:
        PRINT "gp_ring3", 10
        mov eax, 0x83
        mov edx, main
        mov cl, GATE_INT0                   ; DPL 0: INT 0x83 from ring 3 -> #GP
        call idt_set

        PRINT "-- ring 3, IOPL 0, no I/O bitmap", 10
        mov eax, user_iopl0
        mov ecx, 0x202
        call ring3_call

        ; allow ports 0x3F8..0x3FD in the I/O bitmap and point the TSS at it
        mov byte [tss + TSS_IOMAP_OFF + 0x3F8 / 8], 0xC0    ; 0x3F8..0x3FD = 0
        mov word [tss + 102], TSS_IOMAP_OFF
        PRINT "-- ring 3, IOPL 0, bitmap allows 3f8-3fd", 10
        mov eax, user_bitmap
        mov ecx, 0x202
        call ring3_call

        PRINT "-- ring 3, IOPL 0, IF=0", 10
        mov eax, user_popf_if0
        mov ecx, 0x002
        call ring3_call

        mov word [tss + 102], TSS_NO_IOMAP
        PRINT "-- ring 3, IOPL 3", 10
        mov eax, user_iopl3
        mov ecx, 0x3202
        call ring3_call
        PRINT "done", 10
        ret

; ------------------------------------------------------------------ ring 3
user_iopl0:
        PRINT "cli: "
        TRY
        cli
        ENDTRY
        PRINT "sti: "
        TRY
        sti
        ENDTRY
        PRINT "in al,dx (3fd): "
        mov dx, 0x3FD
        TRY
        in al, dx
        ENDTRY
        PRINT "out 80h,al: "
        TRY
        out 0x80, al
        ENDTRY
        PRINT "insb (3f8): "
        mov dx, 0x3F8
        mov edi, scratch
        TRY
        insb
        ENDTRY
        PRINT "hlt: "
        TRY
        hlt
        ENDTRY
        PRINT "mov cr0,eax: "
        xor eax, eax
        TRY
        mov cr0, eax
        ENDTRY
        PRINT "mov eax,cr0: "
        TRY
        mov eax, cr0
        ENDTRY
        PRINT "mov eax,cr3: "
        TRY
        mov eax, cr3
        ENDTRY
        PRINT "lgdt: "
        TRY
        lgdt [scratch]
        ENDTRY
        PRINT "lidt: "
        TRY
        lidt [scratch]
        ENDTRY
        PRINT "ltr: "
        mov ax, SEL_TSS
        TRY
        ltr ax
        ENDTRY
        PRINT "lldt: "
        xor eax, eax
        TRY
        lldt ax
        ENDTRY
        PRINT "lmsw: "
        mov ax, 0x11
        TRY
        lmsw ax
        ENDTRY
        PRINT "clts: "
        TRY
        clts
        ENDTRY
        PRINT "invlpg: "
        TRY
        invlpg [scratch]
        ENDTRY
        PRINT "wbinvd: "
        TRY
        wbinvd
        ENDTRY
        PRINT "rdmsr: "
        mov ecx, 0x174
        TRY
        rdmsr
        ENDTRY
        PRINT "int 0x83 (DPL 0 gate): "
        TRY
        int 0x83
        ENDTRY
        PRINT "mov ds,ring 0 data: "
        mov ax, SEL_KDATA
        TRY
        mov ds, ax
        ENDTRY
        PRINT "jmp far to ring 0 code: "
        TRY
        jmp SEL_KCODE:user_iopl0
        ENDTRY
        PRINT "smsw (not privileged): "
        TRY
        smsw ax
        ENDTRY
        PRINT "  smsw="
        movzx eax, ax
        H4 eax
        NL
        ; POPF cannot change IF or IOPL at CPL 3 with IOPL 0
        PRINT "pushf at entry="
        pushfd
        pop eax
        H8 eax
        NL
        PRINT "popf 00000002 (IF=0): "
        push dword 0x00000002
        TRY
        popfd
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        PRINT "popf 00003cd7 (IOPL=3, IF=0, DF=1, OF=1, flags): "
        push dword 0x00003CD7
        TRY
        popfd
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        push dword 0x00000202
        popfd
        cld
        RING3_EXIT

user_bitmap:
        mov esi, direct_msg
.next:  mov dx, COM1 + 5
.wait:  in al, dx
        test al, 0x20
        jz .wait
        mov dx, COM1
        cmp byte [esi], 0
        je .sent
        outsb                               ; direct from ring 3
        jmp .next
.sent:  PRINT "in al,3fd: "
        mov dx, 0x3FD
        TRY
        in al, dx
        ENDTRY
        PRINT "  lsr&60="
        and eax, 0x60
        H2 eax
        NL
        PRINT "in eax,3fa (3fa-3fd): "
        mov dx, 0x3FA
        TRY
        in eax, dx
        ENDTRY
        PRINT "in al,3fe: "
        mov dx, 0x3FE
        TRY
        in al, dx
        ENDTRY
        PRINT "in ax,3fd (3fd-3fe): "
        mov dx, 0x3FD
        TRY
        in ax, dx
        ENDTRY
        PRINT "in al,3f7: "
        mov dx, 0x3F7
        TRY
        in al, dx
        ENDTRY
        PRINT "out 0f4h (exit port): "
        mov eax, 0x55
        TRY
        out 0xF4, eax
        ENDTRY
        RING3_EXIT

user_popf_if0:
        PRINT "pushf at entry="
        pushfd
        pop eax
        H8 eax
        NL
        PRINT "popf 00000202 (IF=1): "
        push dword 0x00000202
        TRY
        popfd
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        RING3_EXIT

user_iopl3:
        PRINT "pushf at entry="
        pushfd
        pop eax
        H8 eax
        NL
        PRINT "cli: "
        TRY
        cli
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        PRINT "sti: "
        TRY
        sti
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        PRINT "popf 00000002 (IF=0, IOPL=0): "
        push dword 0x00000002
        TRY
        popfd
        pushfd
        ENDTRY
        pop eax
        PRINT "  pushf="
        H8 eax
        NL
        PRINT "in al,21h (no bitmap needed): "
        TRY
        in al, 0x21
        ENDTRY
        PRINT "  imr="
        movzx eax, al
        H2 eax
        NL
        PRINT "hlt: "
        TRY
        hlt
        ENDTRY
        PRINT "mov cr0,eax: "
        TRY
        mov cr0, eax
        ENDTRY
        RING3_EXIT

section .data
direct_msg: db "ring 3 writes COM1 directly via the I/O bitmap", 10, 0
        align 4
scratch:    times 4 dd 0
