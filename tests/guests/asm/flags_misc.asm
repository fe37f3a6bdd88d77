; flags_misc: PUSHF/POPF at ring 0 (IF, DF, AC, ID -> CPUID detection), LAHF/
; SAHF, LAR/LSL/VERR/VERW over the GDT/LDT, ARPL, far CALL/RET/JMP through
; the GDT, PUSH/POP and MOV of segment registers, RDMSR/WRMSR, RDTSC order.
; CPUID results are never printed (they differ between emulators).
%include "common.inc"

; FLAGS -- print "pushf=xxxxxxxx"
%macro SHOWFLAGS 0
        pushfd
        pop eax
        PRINT "pushf="
        H8 eax
%endmacro

main:
        PRINT "flags_misc", 10
        ; ---- EFLAGS ----
        push dword 0x00000002
        popfd
        pushfd
        pop ebx
        push dword 0xFFFFFEFF                ; everything but TF
        popfd
        pushfd
        pop ecx
        push dword 0x00000002                ; NT=0 again before anything else
        popfd
        PRINT "popf 00000002 -> "
        H8 ebx
        PRINT "  popf fffffeff -> "
        H8 ecx
        NL
        std
        pushfd
        pop ebx
        cld
        pushfd
        pop ecx
        PRINT "std -> "
        H8 ebx
        PRINT "  cld -> "
        H8 ecx
        NL
        sti
        pushfd
        pop ebx
        cli
        pushfd
        pop ecx
        PRINT "sti -> "
        H8 ebx
        PRINT "  cli -> "
        H8 ecx
        NL
        ; AC (bit 18): writable on a 486 and later
        push dword 0x00040002
        popfd
        pushfd
        pop ebx
        push dword 0x00000002
        popfd
        pushfd
        pop ecx
        PRINT "AC set -> "
        H8 ebx
        PRINT "  AC clear -> "
        H8 ecx
        NL
        ; ID (bit 21): toggles iff CPUID exists
        pushfd
        pop eax
        mov ebx, eax
        xor eax, 0x00200000
        push eax
        popfd
        pushfd
        pop eax
        push ebx
        popfd
        xor eax, ebx
        and eax, 0x00200000
        cmp eax, 0x00200000
        PRINT "ID bit toggles: "
        call yesno
        jne .nocpuid
        xor eax, eax
        cpuid
        mov eax, 1
        cpuid
        PRINT " (cpuid leaves 0 and 1 executed, results not printed)"
.nocpuid:
        NL
        ; LAHF/SAHF, CLC/STC/CMC
        mov ah, 0xFF
        sahf
        mov ah, 0
        lahf
        movzx ebx, ah
        mov ah, 0x00
        sahf
        stc
        cmc
        cmc
        lahf
        movzx ecx, ah
        PRINT "sahf ff; lahf -> "
        H2 ebx
        PRINT "  sahf 00; stc; cmc; cmc; lahf -> "
        H2 ecx
        NL

        ; ---- LAR / LSL / VERR / VERW ----
        mov ax, SEL_LDT
        lldt ax
        mov esi, sel_list
.sel:   movzx ebx, word [esi]
        cmp ebx, 0xFFFF
        je .seldone
        call show_selector
        add esi, 2
        jmp .sel
.seldone:
        xor eax, eax
        lldt ax

        ; ---- ARPL ----
        mov bx, 0x0010
        mov ax, 0x0023
        arpl bx, ax
        setz cl
        movzx ecx, cl
        PRINT "arpl 0010,0023 -> "
        movzx eax, bx
        H4 eax
        PRINT " zf="
        H2 ecx
        mov ax, 0x0020
        arpl bx, ax
        setz cl
        movzx ecx, cl
        PRINT "  arpl 0013,0020 -> "
        movzx eax, bx
        H4 eax
        PRINT " zf="
        H2 ecx
        NL

        ; ---- far CALL / RET / JMP ----
        call SEL_KCODE:far_fn
        call SEL_KCODE2:far_fn
        call far [far_ptr_xcode]
        mov edi, esp
        push dword 0x1111
        push dword 0x2222
        call SEL_KCODE2:far_fn_args
        PRINT "retf 8: esp restored:"
        cmp edi, esp
        call yesno
        PRINT " result="
        H8 eax
        PRINT " cs="
        mov eax, cs
        H4 eax
        NL
        jmp SEL_KCODE2:.in48
.in48:  PRINT "jmp far 0048: cs="
        mov eax, cs
        H4 eax
        jmp far [far_ptr_back]
.back:  PRINT "  jmp far [mem] back: cs="
        mov eax, cs
        H4 eax
        NL

        ; ---- segment registers ----
        mov edi, esp
        push ds
        mov ecx, edi
        sub ecx, esp
        movzx ebx, word [esp]
        pop es
        PRINT "push ds: esp-="
        H2 ecx
        PRINT " value="
        H4 ebx
        PRINT " pop es -> es="
        mov eax, es
        H4 eax
        o16 push fs
        mov ecx, edi
        sub ecx, esp
        o16 pop gs
        PRINT "  o16 push fs: esp-="
        H2 ecx
        push cs
        movzx ebx, word [esp]
        add esp, 4
        PRINT "  push cs value="
        H4 ebx
        push ss
        pop ss
        PRINT "  push/pop ss ok"
        NL
        mov eax, 0xFFFFFFFF
        mov eax, ds
        mov ebx, 0xFFFFFFFF
        mov bx, ds
        mov dword [scratch], 0xFFFFFFFF
        mov [scratch], ds
        PRINT "mov eax,ds -> "
        H8 eax
        PRINT "  mov bx,ds -> "
        H8 ebx
        PRINT "  mov [m],ds -> "
        H8 [scratch]
        NL
        mov word [scratch], SEL_UDATA
        mov fs, [scratch]
        mov ax, SEL_LDT
        lldt ax
        mov ax, LSEL_DATA
        mov gs, ax
        mov ebx, [gs:magic]
        PRINT "mov fs,[m] -> fs="
        mov eax, fs
        H4 eax
        PRINT "  gs=ldt selector "
        mov eax, gs
        H4 eax
        PRINT " read="
        H8 ebx
        mov ax, SEL_KDATA
        mov fs, ax
        mov gs, ax
        xor eax, eax
        lldt ax
        NL

        ; ---- MSRs, TSC ----
        mov ecx, 0x174                      ; IA32_SYSENTER_CS
        xor edx, edx
        mov eax, SEL_KCODE
        wrmsr
        mov ecx, 0x175                      ; IA32_SYSENTER_ESP
        mov eax, 0x12345678
        wrmsr
        mov ecx, 0x174
        rdmsr
        mov ebx, eax
        mov esi, edx
        mov ecx, 0x175
        rdmsr
        PRINT "rdmsr 174="
        H8 esi
        H8 ebx
        PRINT " 175="
        H8 edx
        H8 eax
        NL
        rdtsc
        mov ebx, eax
        mov esi, edx
        mov ecx, 1000
.spin:  loop .spin
        rdtsc
        sub eax, ebx
        sbb edx, esi
        PRINT "rdtsc advances: "
        or eax, edx
        setnz al
        movzx eax, al
        cmp eax, 1
        call yesno
        NL
        ret

; show_selector: ebx = selector
show_selector:
        pushad
        PRINT "sel "
        H4 ebx
        mov eax, 0xDEADBEEF
        lar eax, bx
        jnz .larbad
        and eax, 0x00F0FF00
        PRINT " lar="
        H8 eax
        jmp .lsl
.larbad:
        PRINT " lar=--------"
.lsl:   mov eax, 0xDEADBEEF
        lsl eax, bx
        jnz .lslbad
        PRINT " lsl="
        H8 eax
        jmp .verr
.lslbad:
        PRINT " lsl=--------"
.verr:  verr bx
        setz al
        movzx eax, al
        PRINT " verr="
        HEX 1, eax
        verw bx
        setz al
        movzx eax, al
        PRINT " verw="
        HEX 1, eax
        NL
        popad
        ret

far_fn:
        PRINT "far call: cs="
        mov eax, cs
        H4 eax
        PRINT " pushed cs="
        movzx eax, word [esp + 4]
        H4 eax
        PRINT " ret eip ok:"
        mov eax, [esp]
        cmp eax, far_ret_lo
        jb .no
        cmp eax, far_ret_hi
        ja .no
        PRINT "yes"
        jmp .out
.no:    PRINT "no"
.out:   NL
        retf

far_fn_args:                                ; [esp+8]=0x2222 [esp+12]=0x1111
        mov eax, [esp + 8]
        shl eax, 16
        or eax, [esp + 12]
        retf 8

yesno:
        jne .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret

far_ret_lo equ main
far_ret_hi equ show_selector

section .data
        align 4
magic:    dd 0x1DDA7A5E
scratch:  dd 0
far_ptr_xcode:
        dd far_fn
        dw SEL_XCODE
        align 4
far_ptr_back:
        dd main.back
        dw SEL_KCODE
        align 2
sel_list:
        dw 0x0008, 0x0010, 0x001B, 0x0023, 0x0028, 0x0030, 0x0038, 0x0040
        dw 0x0048, 0x0050, 0x0000, 0x0060, 0x000B, 0x0013, 0x000C, 0x0004
        dw 0xFFFF
