; x87: the x87 FPU and MMX of a processor that has them (the default processor has them; docs/x87.md).
; Prints bit patterns only (never decimal renderings of floats): the reset state QEMU hands a -kernel guest,
; arithmetic under each rounding and precision control, conversions, compares, FXAM, FPREM, FBSTP, the
; environment image, MMX aliasing the x87 registers, and the SDM's fault rules: #NM with CR0.TS/EM (WAIT with
; MP and TS), #MF at FWAIT with CR0.NE = 1, FERR# on IRQ 13 with NE = 0 (cleared by the IGNNE# write to port
; 0xF0), and MMX's #UD with EM, #NM with TS and #MF with an x87 exception pending.
%include "common.inc"

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR0_NE          equ 1 << 5

%macro SET_CR0 1
        mov eax, cr0
        and eax, ~(CR0_MP | CR0_EM | CR0_TS | CR0_NE)
        or eax, %1
        mov cr0, eax
%endmacro

; ST0 as 20 hex digits (sign/exponent, significand), popped
%macro PST0 0
        fstp tword [tmp]
        call print_t
%endmacro

; the status word as 4 hex digits
%macro PSW 0
        fnstsw ax
        H4 eax
%endmacro

; a 16-bit control word
%macro CW 1
        mov word [cw], %1
        fldcw [cw]
%endmacro

main:
        PRINT "x87", 10
        mov eax, 1
        cpuid
        PRINT "cpuid fpu mmx: "
        mov eax, edx
        and eax, 1
        DEC eax
        mov eax, edx
        shr eax, 23
        and eax, 1
        DEC eax
        NL
        SET_CR0 CR0_NE

        PRINT "reset fcw="
        fnstcw [cw]
        H4 [cw]
        PRINT " fsw="
        PSW
        fnstenv [env]
        PRINT " ftw="
        H4 [env + 8]
        NL

        ; 1/3 under every rounding control and precision control
        mov ebx, 0
.rc:    PRINT "1/3 rc="
        DEC ebx
        PRINT ":"
        mov ecx, 0
.pc:    mov eax, ebx
        shl eax, 10
        mov edx, [pcs + ecx * 4]
        shl edx, 8
        or eax, edx
        or eax, 0x37F & ~0x0F00
        mov [cw], ax
        fldcw [cw]
        fld1
        fidiv dword [three]
        PRINT " "
        PST0
        fld1
        fchs
        fidiv dword [three]
        PRINT " "
        PST0
        inc ecx
        cmp ecx, 3
        jb .pc
        NL
        inc ebx
        cmp ebx, 4
        jb .rc

        CW 0x037F
        PRINT "sqrt2 "
        fild dword [two]
        fsqrt
        PST0
        PRINT " pi "
        fldpi
        PST0
        PRINT " l2e(up) "
        CW 0x0B7F
        fldl2e
        PST0
        CW 0x037F
        NL

        PRINT "fist 2.5/-2.5 per rc:"
        mov ebx, 0
.fist:  mov eax, ebx
        shl eax, 10
        or eax, 0x037F
        mov [cw], ax
        fldcw [cw]
        fld qword [twohalf]
        fistp dword [tmp]
        PRINT " "
        H8 [tmp]
        fld qword [twohalf]
        fchs
        fistp word [tmp]
        PRINT "/"
        H4 [tmp]
        inc ebx
        cmp ebx, 4
        jb .fist
        NL
        CW 0x037F

        PRINT "fst m32 of 1/3: "
        fld1
        fidiv dword [three]
        fstp dword [tmp]
        H8 [tmp]
        PRINT " m64 of 1e308*10: "
        fld qword [big]
        fimul dword [ten]
        fst qword [tmp]
        H8 [tmp + 4]
        H8 [tmp]
        PRINT " fsw="
        PSW
        fstp st0
        fnclex
        NL

        PRINT "denormal: "
        fld qword [tiny]
        fld qword [tiny]
        fmulp
        PSW
        PRINT " "
        PST0
        fnclex
        NL

        PRINT "nan rules: "
        fld tword [qnan]
        fld tword [snan]
        faddp
        PSW
        PRINT " "
        PST0
        fnclex
        PRINT " 0/0 "
        fldz
        fldz
        fdivp
        PST0
        fnclex
        NL

        PRINT "fcom 1 vs 2: "
        fild dword [two]
        fld1
        fcom st1
        PSW
        PRINT " fcomi cf/zf/pf: "
        fcomi st1
        pushfd
        pop eax
        and eax, 0x45
        H2 eax
        PRINT " unordered: "
        fld tword [qnan]
        fucomip st1
        pushfd
        pop eax
        and eax, 0x45
        H2 eax
        fstp st0
        fstp st0
        NL

        PRINT "fxam:"
        fldz
        fxam
        PRINT " "
        PSW
        fstp st0
        fld tword [qnan]
        fxam
        PRINT " "
        PSW
        fstp st0
        fld qword [tiny]
        fld qword [tiny]
        fmulp
        fxam
        PRINT " "
        PSW
        fstp st0
        fxam
        PRINT " empty "
        PSW
        fnclex
        NL

        PRINT "fprem 10 mod 3: "
        fild dword [three]
        fild dword [ten]
        fprem
        PSW
        PRINT " "
        PST0
        fstp st0
        PRINT " fprem1 "
        fild dword [three]
        fild dword [ten]
        fprem1
        PST0
        fstp st0
        NL

        PRINT "fbstp -1234567: "
        fild dword [bcdval]
        fbstp [tmp]
        H4 [tmp + 8]
        H8 [tmp + 4]
        H8 [tmp]
        PRINT " fscale: "
        fild dword [three]
        fld1
        fscale
        PST0
        fstp st0
        PRINT " fxtract: "
        fild dword [ten]
        fxtract
        PST0
        PST0
        NL

        ; the transcendentals, on operands whose results lie far from a rounding boundary (the host processor under hw
        ; rounds them the same way), and FSIN's out-of-range operand (C2, unchanged)
        PRINT "fsin 1: "
        fnclex
        fld1
        fsin
        PSW
        PRINT " "
        PST0
        PRINT " fcos 1: "
        fld1
        fcos
        PST0
        PRINT " fsincos .5: "
        fld qword [half]
        fsincos
        PST0
        PRINT " "
        PST0
        PRINT " fptan .5: "
        fld qword [half]
        fptan
        PST0
        PRINT " "
        PST0
        NL
        PRINT "fpatan 1/2: "
        fld1
        fild dword [two]
        fpatan
        PST0
        PRINT " f2xm1 .5: "
        fld qword [half]
        f2xm1
        PST0
        PRINT " fyl2x 1.5,10: "
        fld qword [onehalf]
        fild dword [ten]
        fyl2x
        PST0
        PRINT " fyl2xp1 1,.25: "
        fld1
        fld qword [quarter]
        fyl2xp1
        PST0
        PRINT " fsin 2^63: "
        fnclex
        fld qword [two63]
        fsin
        PSW
        PRINT " "
        PST0
        NL

        PRINT "stack overflow: "
        fninit
        mov ecx, 9
.push:  fld1
        loop .push
        PSW
        PRINT " "
        PST0
        fninit
        NL

        PRINT "fnstenv fcw/fsw/ftw/fop: "
        fld1
        fldz
        fadd st0, st1
        fnstenv [env]
        H4 [env]
        PRINT " "
        H4 [env + 4]
        PRINT " "
        H4 [env + 8]
        PRINT " "
        mov eax, [env + 16]
        shr eax, 16
        H4 eax
        fldenv [env]
        fninit
        NL

        PRINT "fsave/frstor: "
        fldpi
        fld1
        fsave [save]
        PSW
        fld1
        frstor [save]
        PRINT " "
        PSW
        PRINT " "
        PST0
        PRINT " "
        PST0
        NL

        ; ---- MMX ----
        PRINT "mmx: "
        fninit
        fldpi
        movq mm0, [m1]
        paddusb mm0, [m2]
        movq [tmp], mm0
        H8 [tmp + 4]
        H8 [tmp]
        PRINT " psraw "
        movq mm1, [m1]
        psraw mm1, 3
        movq [tmp], mm1
        H8 [tmp + 4]
        H8 [tmp]
        PRINT " packsswb "
        movq mm2, [m1]
        packsswb mm2, [m2]
        movq [tmp], mm2
        H8 [tmp + 4]
        H8 [tmp]
        PRINT " aliasing "
        fnstenv [env]
        H4 [env + 4]
        PRINT "/"
        H4 [env + 8]
        PRINT " st0="
        fstp tword [tmp]        ; ST0 is MM0 with the exponent all ones
        call print_t
        emms
        fnstenv [env]
        PRINT " emms ftw="
        H4 [env + 8]
        NL

        ; ---- faults ----
        PRINT "#NM fld1 with TS: "
        SET_CR0 CR0_NE | CR0_TS
        TRY
        fld1
        ENDTRY
        PRINT "wait with TS: "
        TRY
        wait
        ENDTRY
        PRINT "wait with MP+TS: "
        SET_CR0 CR0_NE | CR0_TS | CR0_MP
        TRY
        wait
        ENDTRY
        PRINT "emms with TS: "
        TRY
        emms
        ENDTRY
        PRINT "emms with EM: "
        SET_CR0 CR0_NE | CR0_EM
        TRY
        emms
        ENDTRY
        PRINT "fld1 with EM: "
        TRY
        fld1
        ENDTRY
        SET_CR0 CR0_NE
        fninit
        CW 0x037B                   ; ZE unmasked
        fld1
        fldz
        fdivp                       ; pending: ES set, no fault yet
        PRINT "pending fsw="
        PSW
        NL
        PRINT "fwait with NE: "
        TRY
        fwait
        ENDTRY
        PRINT "movq with pending: "
        TRY
        movq mm0, [m1]
        ENDTRY
        PRINT "fnstsw does not wait: "
        TRY
        fnstsw ax
        ENDTRY
        fnclex
        PRINT "after fnclex fwait: "
        TRY
        fwait
        ENDTRY

        ; NE = 0: FERR# raises IRQ 13 (slave IR5), once until the IGNNE# write to port 0xF0
        call pic_init
        mov eax, 0x2D
        mov edx, irq13_handler
        mov cl, GATE_INT0
        call idt_set
        mov al, 0xFB                ; cascade
        out 0x21, al
        mov al, 0xDF                ; IRQ 13
        out 0xA1, al
        SET_CR0 0
        fld1
        fldz
        fdivp
        PRINT "ne=0 fwait: "
        sti
        fwait
        nop
        cli
        PRINT " irq13 count="
        DEC [irq13_count]
        NL
        fninit
        PRINT "done", 10
        ret

irq13_handler:
        push eax
        inc dword [irq13_count]
        PRINT "irq13"
        xor eax, eax
        out 0xF0, al                ; IGNNE#: deasserts FERR#
        fnclex
        mov al, 0x20
        out 0xA0, al
        out 0x20, al
        pop eax
        iret

; print_t: the 10 bytes at tmp as sign/exponent:significand
print_t:
        H4 [tmp + 8]
        PRINT ":"
        H8 [tmp + 4]
        H8 [tmp]
        ret

section .data
align 8
pcs:            dd 0, 2, 3
three:          dd 3
two:            dd 2
ten:            dd 10
bcdval:         dd -1234567
twohalf:        dq 2.5
half:           dq 0.5
onehalf:        dq 1.5
quarter:        dq 0.25
two63:          dq 0x43E0000000000000      ; 2^63: out of FSIN's range
big:            dq 1.0e308
tiny:           dq 0x0010000000000001       ; the smallest normal double, plus one ulp
qnan:           dq 0xC000000000000005
                dw 0x7FFF
snan:           dq 0xA000000000000009
                dw 0xFFFF
m1:             dq 0x80017FFF00FF1234
m2:             dq 0x7FFF80010102F0F0
irq13_count:    dd 0

section .bss
align 16
cw:             resd 1
tmp:            resb 16
env:            resb 32
save:           resb 112
