; gdt_tss_idt: LGDT/LIDT/LTR/LLDT and the matching store instructions,
; segment reload by far jump, SMSW/LMSW, interrupt vs trap gates.
%define MANUAL_INIT
%include "common.inc"

main:
        PRINT "gdt_tss_idt", 10
        PRINT "entry eax="
        H8 [mb_magic]
        sldt ax
        PRINT " ldtr="
        movzx eax, ax
        H4 eax
        NL

        ; ---- GDT ----
        call gdt_init
        PRINT "after lgdt+jmp far: cs="
        mov eax, cs
        H4 eax
        PRINT " ds="
        mov eax, ds
        H4 eax
        PRINT " es="
        mov eax, es
        H4 eax
        PRINT " ss="
        mov eax, ss
        H4 eax
        PRINT " fs="
        mov eax, fs
        H4 eax
        PRINT " gs="
        mov eax, gs
        H4 eax
        NL
        sgdt [desc_buf]
        PRINT "sgdt limit="
        movzx eax, word [desc_buf]
        H4 eax
        PRINT " base==gdt:"
        mov eax, [desc_buf + 2]
        cmp eax, gdt
        call yesno
        NL

        ; ---- TSS ----
        PRINT "tss access before ltr="
        call tss_init_noltr
        movzx eax, byte [gdt + SEL_TSS + 5]
        H2 eax
        mov ax, SEL_TSS
        ltr ax
        PRINT " after="
        movzx eax, byte [gdt + SEL_TSS + 5]
        H2 eax
        str ax
        PRINT " str="
        movzx eax, ax
        H4 eax
        mov dword [desc_buf], 0xFFFFFFFF
        str [desc_buf]
        PRINT " str mem="
        H8 [desc_buf]
        NL

        ; ---- IDT ----
        call idt_init
        sidt [desc_buf]
        PRINT "sidt limit="
        movzx eax, word [desc_buf]
        H4 eax
        PRINT " base==idt:"
        mov eax, [desc_buf + 2]
        cmp eax, idt
        call yesno
        NL

        PRINT "ltr busy tss: "
        TRY
        mov ax, SEL_TSS
        ltr ax
        ENDTRY
        PRINT "ltr ldt selector: "
        TRY
        mov ax, SEL_LDT
        ltr ax
        ENDTRY

        ; ---- LDT ----
        lldt [ldt_sel]
        sldt ax
        PRINT "ldtr="
        movzx eax, ax
        H4 eax
        mov ax, LSEL_DATA
        mov ds, ax
        mov ebx, [magic]
        mov ax, ds
        mov cx, SEL_KDATA
        mov ds, cx
        PRINT " ds="
        movzx eax, ax
        H4 eax
        PRINT " read via ldt="
        H8 ebx
        xor eax, eax
        lldt ax
        sldt ax
        PRINT " ldtr after lldt 0="
        movzx eax, ax
        H4 eax
        NL
        PRINT "lldt tss selector: "
        TRY
        mov ax, SEL_TSS
        lldt ax
        ENDTRY

        ; ---- SMSW/LMSW ----
        mov eax, 0xFFFFFFFF
        smsw ax
        PRINT "smsw ax="
        H8 eax
        mov eax, cr0
        PRINT " cr0="
        H8 eax
        mov word [desc_buf], 0xFFFF
        mov word [desc_buf + 2], 0xFFFF
        smsw [desc_buf]
        PRINT " smsw mem="
        H8 [desc_buf]
        NL
        smsw ax
        or ax, 0x0008               ; TS
        lmsw ax
        mov eax, cr0
        PRINT "lmsw TS: cr0="
        H8 eax
        clts
        mov eax, cr0
        PRINT " clts: cr0="
        H8 eax
        smsw ax
        and ax, 0xFFFE              ; try to clear PE: LMSW cannot
        lmsw ax
        mov eax, cr0
        PRINT " lmsw PE=0: cr0="
        H8 eax
        NL

        ; ---- gates ----
        mov eax, 0x40
        mov edx, trap_handler
        mov cl, GATE_TRAP0
        call idt_set
        mov eax, 0x41
        mov edx, intr_handler
        mov cl, GATE_INT0
        call idt_set
        sti                         ; PIC is fully masked
        mov esi, esp
        int 0x40
        int 0x41
        cli
        PRINT "int3: "
        TRY
        int3
        ENDTRY
        PRINT "int 0x42 (no gate): "
        TRY
        int 0x42
        ENDTRY
        PRINT "done", 10
        ret

; trap gate: IF stays as it was
trap_handler:
        PRINT "int 0x40 trap gate: "
        call show_gate
        iretd
; interrupt gate: IF cleared
intr_handler:
        PRINT "int 0x41 interrupt gate: "
        call show_gate
        iretd

; show_gate: called from a gate handler with esi = ESP before INT
show_gate:
        pushfd
        pop eax
        shr eax, 9
        and eax, 1
        PRINT "IF="
        H2 eax
        PRINT " cs="
        mov eax, [esp + 8]          ; return address of show_gate, then EIP, CS
        H4 eax
        PRINT " eflags.IF="
        mov eax, [esp + 12]
        shr eax, 9
        and eax, 1
        H2 eax
        PRINT " frame size="
        lea eax, [esp + 4]
        mov ecx, esi
        sub ecx, eax
        H2 ecx
        NL
        ret

; yesno: prints "yes" if ZF else "no"
yesno:
        jne .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret

tss_init_noltr:
        ; like tss_init but without the LTR, so the busy bit can be observed
        pushad
        mov edi, tss
        xor eax, eax
        mov ecx, TSS_IOMAP_OFF / 4
        rep stosd
        mov dword [tss + 4], kstack_top
        mov dword [tss + 8], SEL_KDATA
        mov word [tss + 102], TSS_NO_IOMAP
        mov edi, gdt + SEL_TSS
        mov eax, tss
        mov ecx, TSS_LIMIT
        mov dl, 0x89
        call set_sys_desc
        popad
        ret

section .data
magic:    dd 0x1DDA7A5E
ldt_sel:  dw SEL_LDT
        align 4
desc_buf: times 4 dd 0
