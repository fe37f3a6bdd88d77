; fxsave: FXSAVE and FXRSTOR of a processor with FXSR (the default processor has it; docs/sse.md).
; Prints the 32-bit-layout image of a live x87/MMX/XMM/MXCSR state, bytes 288-511 left as they were, an FXRSTOR
; round trip (the full tag word recomputed from the abridged one), the MMX view, and the SDM's fault rules: #GP(0)
; for a misaligned image, #NM with CR0.TS or CR0.EM, FXRSTOR's #GP(0) for MXCSR bits outside MXCSR_MASK, and
; CR4.OSFXSR = 0, where this CPU neither saves nor restores MXCSR and the XMM registers.
%include "common.inc"

CR0_EM          equ 1 << 2
CR0_TS          equ 1 << 3
CR4_OSFXSR      equ 1 << 9
CR4_OSXMMEXCPT  equ 1 << 10

; FILL buffer: 512 bytes of 0xCC
%macro FILL 1
        mov edi, %1
        mov ecx, 128
        mov eax, 0xCCCCCCCC
        rep stosd
%endmacro

main:
        PRINT "fxsave", 10
        mov eax, 1
        cpuid
        PRINT "cpuid 1 edx FXSR: "
        mov eax, edx
        shr eax, 24
        and eax, 1
        DEC eax
        NL
        mov eax, cr0
        and eax, ~(CR0_EM | CR0_TS)
        mov cr0, eax
        mov eax, cr4
        or eax, CR4_OSFXSR | CR4_OSXMMEXCPT
        mov cr4, eax

        PRINT "-- image", 10
        fninit
        fldcw [cw]
        fld1
        fldz
        fldpi
        fld tword [denormal]
        fld tword [unnormal]
        ffree st1
        fincstp
        fdecstp
        movdqa xmm0, [pattern]
        movdqa xmm1, [pattern + 16]
        pcmpeqd xmm7, xmm7
        ldmxcsr [csr]
        FILL image
        fxsave [image]
        mov eax, [image + 12]
        and dword [image + 12], ~3      ; FCS's RPL: bt runs ring 0 at ring 1 and x87 records the real CS (docs/sse.md)
        mov esi, image
        call print_image
        mov [image + 12], eax

        PRINT "-- round trip", 10
        fninit
        pxor xmm0, xmm0
        pxor xmm7, xmm7
        mov dword [tmp], 0x1F80
        ldmxcsr [tmp]
        fxrstor [image]
        fnstenv [env]
        PRINT "fnstenv tag word "
        H4 [env + 8]
        NL
        FILL image2
        fxsave [image2]
        mov esi, image
        mov edi, image2
        mov ecx, 128
        repe cmpsd
        PRINT "second image equal: "
        DEC ecx
        NL

        PRINT "-- mmx", 10
        movq mm2, [pattern]
        FILL image2
        fxsave [image2]
        PRINT "fsw tag "
        H4 [image2 + 2]
        PRINT " "
        H2 [image2 + 4]
        PRINT " mm2 "
        H8 [image2 + 32 + 2 * 16 + 4]
        H8 [image2 + 32 + 2 * 16]
        PRINT " "
        H4 [image2 + 32 + 2 * 16 + 8]
        NL
        emms
        fxsave [image2]
        PRINT "after emms fsw tag "
        H4 [image2 + 2]
        PRINT " "
        H2 [image2 + 4]
        NL

        PRINT "-- faults", 10
        PRINT "fxsave misaligned: "
        TRY
        fxsave [image + 8]
        ENDTRY
        PRINT "fxrstor misaligned: "
        TRY
        fxrstor [image + 4]
        ENDTRY
        mov eax, cr0
        or eax, CR0_TS
        mov cr0, eax
        PRINT "fxsave with TS: "
        TRY
        fxsave [image]
        ENDTRY
        clts
        mov eax, cr0
        or eax, CR0_EM
        mov cr0, eax
        PRINT "fxrstor with EM: "
        TRY
        fxrstor [image]
        ENDTRY
        mov eax, cr0
        and eax, ~CR0_EM
        mov cr0, eax
        mov dword [image + 24], 0x1F80 | 0x10000
        PRINT "fxrstor mxcsr bit 16: "
        TRY
        fxrstor [image]
        ENDTRY
        stmxcsr [tmp]
        PRINT "mxcsr "
        H4 [tmp]
        NL

        PRINT "-- without OSFXSR", 10
        mov eax, cr4
        and eax, ~(CR4_OSFXSR | CR4_OSXMMEXCPT)
        mov cr4, eax
        FILL image2
        fxsave [image2]
        PRINT "mxcsr mask xmm0 "
        H8 [image2 + 24]
        PRINT " "
        H8 [image2 + 28]
        PRINT " "
        H8 [image2 + 160]
        NL
        mov dword [image + 24], 0xFFFFFFFF
        mov dword [image + 160], 0x11111111
        PRINT "fxrstor mxcsr ffffffff: "
        TRY
        fxrstor [image]
        ENDTRY
        mov eax, cr4
        or eax, CR4_OSFXSR
        mov cr4, eax
        stmxcsr [tmp]
        movd eax, xmm0
        PRINT "mxcsr "
        H4 [tmp]
        PRINT " xmm0 "
        H8 eax
        NL
        ret

; print_image: the 512 bytes at esi as 18 lines of four dwords (0-287), then how many of 288-511 are not 0xCC
print_image:
        xor ebx, ebx
.line:
        H4 ebx
        PRINT ":"
        mov ecx, 4
.dword:
        PRINT " "
        H8 [esi + ebx]
        add ebx, 4
        loop .dword
        NL
        cmp ebx, 288
        jb .line
        xor edx, edx
.rest:
        cmp byte [esi + ebx], 0xCC
        je .same
        inc edx
.same:
        inc ebx
        cmp ebx, 512
        jb .rest
        PRINT "bytes 288-511 changed: "
        DEC edx
        NL
        ret

section .data
align 16
pattern:  dd 0x80FF7F01, 0x12345678, 0xFFFF8000, 0x7FFF0001, 0xDEADBEEF, 0x00000001, 0x55AA55AA, 0xC0000000
denormal: dq 0x0000000012345678
          dw 0x0000
unnormal: dq 0x0123456789ABCDEF
          dw 0x4001
cw:       dw 0x0A7F
csr:      dd 0x3F80 | 0x21

section .bss
align 16
image:    resb 512
image2:   resb 512
env:      resb 28
tmp:      resd 1
