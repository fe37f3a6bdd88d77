; no_sse: the floating-point and SIMD rules of a processor whose CPUID reports no FPU, MMX, FXSR, SSE or SSE2
; (this machine's i686 integer core; docs/sse.md). Per the SDM: CR4.OSFXSR and CR4.OSXMMEXCPT are reserved
; (#GP(0), CR4 unchanged); every MMX, SSE, SSE2 and FXSR instruction is #UD whatever CR0 says; an x87
; instruction is #NM while CR0.EM or CR0.TS is set (Vol. 3 table 2-2) and #UD otherwise (no FPU answers it);
; WAIT is #NM only when CR0.MP and CR0.TS are both set.
%include "common.inc"

CR0_MP          equ 1 << 1
CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

; SET_CR0 bits: CR0 with MP, EM and TS replaced by bits
%macro SET_CR0 1
        mov eax, cr0
        and eax, ~(CR0_MP | CR0_EM | CR0_TS)
        or eax, %1
        mov cr0, eax
%endmacro

; the instructions whose outcome depends on CR0 (or on nothing)
%macro PROBES 0
        PRINT "  fld1: "
        TRY
        fld1
        ENDTRY
        PRINT "  fninit: "
        TRY
        fninit
        ENDTRY
        PRINT "  wait: "
        TRY
        wait
        ENDTRY
        PRINT "  emms: "
        TRY
        emms
        ENDTRY
        PRINT "  movq mm0, [buf]: "
        TRY
        movq mm0, [buf]
        ENDTRY
        PRINT "  movaps xmm0, [buf]: "
        TRY
        movaps xmm0, [buf]
        ENDTRY
        PRINT "  movdqu [buf], xmm1: "
        TRY
        movdqu [buf], xmm1
        ENDTRY
        PRINT "  addps xmm0, xmm1: "
        TRY
        addps xmm0, xmm1
        ENDTRY
        PRINT "  fxsave [buf]: "
        TRY
        fxsave [buf]
        ENDTRY
        PRINT "  fxrstor [buf]: "
        TRY
        fxrstor [buf]
        ENDTRY
        PRINT "  ldmxcsr [buf]: "
        TRY
        ldmxcsr [buf]
        ENDTRY
%endmacro

main:
        PRINT "no_sse", 10
        mov eax, 1
        cpuid
        PRINT "cpuid 1 edx FPU/MMX/FXSR/SSE/SSE2: "
        mov eax, edx
        and eax, 1
        DEC eax
        mov eax, edx
        shr eax, 23
        and eax, 1
        DEC eax
        mov eax, edx
        shr eax, 24
        and eax, 1
        DEC eax
        mov eax, edx
        shr eax, 25
        and eax, 1
        DEC eax
        mov eax, edx
        shr eax, 26
        and eax, 1
        DEC eax
        NL
        mov ebx, cr4
        PRINT "mov cr4, OSFXSR: "
        mov eax, ebx
        or eax, CR4_OSFXSR
        TRY
        mov cr4, eax
        ENDTRY
        PRINT "mov cr4, OSXMMEXCPT: "
        mov eax, ebx
        or eax, CR4_OSXMMEXCPT
        TRY
        mov cr4, eax
        ENDTRY
        mov eax, cr4
        PRINT "cr4 unchanged: "
        cmp eax, ebx
        sete al
        movzx eax, al
        DEC eax
        NL
        PRINT "-- cr0 MP=0 EM=0 TS=0", 10
        SET_CR0 0
        PROBES
        PRINT "-- cr0 MP=1 EM=0 TS=0", 10
        SET_CR0 CR0_MP
        PROBES
        PRINT "-- cr0 MP=0 EM=0 TS=1", 10
        SET_CR0 CR0_TS
        PROBES
        PRINT "-- cr0 MP=1 EM=0 TS=1", 10
        SET_CR0 CR0_MP | CR0_TS
        PROBES
        PRINT "-- cr0 MP=0 EM=1 TS=0", 10
        SET_CR0 CR0_EM
        PROBES
        PRINT "-- cr0 MP=1 EM=1 TS=1", 10
        SET_CR0 CR0_MP | CR0_EM | CR0_TS
        PROBES
        SET_CR0 0
        ret

section .bss
align 16
buf:            resb 512
