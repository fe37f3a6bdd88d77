; exceptions: vector, error code and saved EIP (relative to the faulting
; instruction: 0 for faults, the instruction length for traps) of the
; exceptions a ring 0 kernel can raise on itself.
%include "common.inc"

main:
        PRINT "exceptions", 10
        ; a gate with a valid type but P=0, and an all-zero (invalid) gate
        mov eax, 0x90
        mov edx, main
        mov cl, 0x0E                        ; 32-bit interrupt gate, not present
        call idt_set

        ; ---- #DE ----
        PRINT "div by zero: "
        mov eax, 1
        xor edx, edx
        xor ecx, ecx
        TRY
        div ecx
        ENDTRY
        PRINT "idiv 80000000/-1: "
        mov eax, 0x80000000
        cdq
        mov ecx, -1
        TRY
        idiv ecx
        ENDTRY
        PRINT "div quotient overflow: "
        mov eax, 0
        mov edx, 2
        mov ecx, 2
        TRY
        div ecx
        ENDTRY
        PRINT "div 8-bit overflow: "
        mov eax, 0x1000
        mov bl, 1
        TRY
        div bl
        ENDTRY
        PRINT "div ok: "
        mov eax, 100
        xor edx, edx
        mov ecx, 7
        TRY
        div ecx
        ENDTRY
        PRINT "  q="
        H8 eax
        PRINT " r="
        H8 edx
        NL

        ; ---- #UD ----
        PRINT "ud2: "
        TRY
        ud2
        ENDTRY
        PRINT "lock nop: "
        TRY
        db 0xF0, 0x90
        ENDTRY
        PRINT "mov eax,cr1: "
        TRY
        db 0x0F, 0x20, 0xC8
        ENDTRY

        ; ---- #NM (x87 with CR0.EM / CR0.TS) ----
        mov eax, cr0
        mov [saved_cr0], eax
        or eax, 0x4                         ; EM
        mov cr0, eax
        PRINT "fld1 with EM=1: "
        TRY
        fld1
        ENDTRY
        mov eax, [saved_cr0]
        or eax, 0x8                         ; TS, EM=0
        mov cr0, eax
        PRINT "fld1 with TS=1: "
        TRY
        fld1
        ENDTRY
        mov eax, [saved_cr0]
        or eax, 0xA                         ; TS + MP
        mov cr0, eax
        PRINT "fwait with MP=1 TS=1: "
        TRY
        fwait
        ENDTRY
        mov eax, [saved_cr0]
        mov cr0, eax
        PRINT "cr0 restored="
        mov eax, cr0
        H8 eax
        NL

        ; ---- traps: #BP, #OF, #DB ----
        PRINT "int3: "
        TRY
        int3
        ENDTRY
        PRINT "int 3 (CD 03): "
        TRY
        int 3
        ENDTRY
        PRINT "into with OF=1: "
        mov al, 0x7F
        add al, 1                           ; OF=1
        TRY
        into
        ENDTRY
        PRINT "into with OF=0: "
        xor eax, eax                        ; OF=0
        TRY
        into
        ENDTRY
        PRINT "single step (TF) over nop: "
        pushfd
        or dword [esp], 0x100
        TRY
        popfd
        nop
        ENDTRY

        ; ---- #BR ----
        PRINT "bound 11 in [0,10]: "
        mov eax, 11
        TRY
        bound eax, [bounds]
        ENDTRY
        PRINT "bound 10 in [0,10]: "
        mov eax, 10
        TRY
        bound eax, [bounds]
        ENDTRY

        ; ---- segment loads: #GP / #NP / #SS ----
        PRINT "mov ds,0ff8 (beyond gdt limit): "
        mov ax, 0x0FF8
        TRY
        mov ds, ax
        ENDTRY
        PRINT "mov ds,tss selector: "
        mov ax, SEL_TSS
        TRY
        mov ds, ax
        ENDTRY
        PRINT "mov ds,execute-only code: "
        mov ax, SEL_XCODE
        TRY
        mov ds, ax
        ENDTRY
        PRINT "mov ds,not-present data: "
        mov ax, SEL_NPDATA
        TRY
        mov ds, ax
        ENDTRY
        PRINT "mov ss,not-present data: "
        mov ax, SEL_NPDATA
        TRY
        mov ss, ax
        ENDTRY
        PRINT "mov ss,ring 3 data at cpl 0: "
        mov ax, SEL_UDATA
        TRY
        mov ss, ax
        ENDTRY
        PRINT "mov ss,null: "
        xor eax, eax
        TRY
        mov ss, ax
        ENDTRY
        PRINT "mov ds,null (allowed, nothing read through it): "
        xor eax, eax
        mov cx, SEL_KDATA
        TRY
        mov ds, ax
        mov ebx, ds
        mov ds, cx                          ; before ENDTRY prints
        ENDTRY
        PRINT "  ds was="
        H4 ebx
        PRINT " ds now="
        mov eax, ds
        H4 eax
        NL
        PRINT "jmp far to data selector: "
        TRY
        jmp SEL_KDATA:main
        ENDTRY
        PRINT "call far to null selector: "
        TRY
        call 0:main
        ENDTRY

        ; ---- IDT gates ----
        PRINT "int 0x90 (gate not present): "
        TRY
        int 0x90
        ENDTRY
        PRINT "int 0x91 (all-zero gate): "
        TRY
        int 0x91
        ENDTRY

        PRINT "exceptions seen="
        DEC [exc_count]
        NL
        ret

section .data
        align 4
bounds:    dd 0, 10
saved_cr0: dd 0
