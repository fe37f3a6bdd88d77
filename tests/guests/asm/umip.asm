; umip: user-mode instruction prevention (Intel SDM Vol. 3 2.5, CR4 bit 11). CPUID.(EAX=7,ECX=0):ECX[2] reports
; it; with CR4.UMIP set, SGDT, SIDT, SLDT, SMSW and STR raise #GP(0) at CPL 3 and still work at CPL 0; with it
; clear they work everywhere. MOV from CR0 stays #GP at CPL 3 either way.
%include "common.inc"

CR4_UMIP        equ 1 << 11

%macro STORES 0
        PRINT "  sgdt: "
        TRY
        sgdt [ss:scratch]
        ENDTRY
        PRINT "  sidt: "
        TRY
        sidt [ss:scratch]
        ENDTRY
        PRINT "  sldt: "
        TRY
        sldt ax
        ENDTRY
        PRINT "  smsw: "
        TRY
        smsw eax
        ENDTRY
        PRINT "  str: "
        TRY
        str eax
        ENDTRY
%endmacro

main:
        PRINT "umip", 10
        mov eax, 7
        xor ecx, ecx
        cpuid
        PRINT "cpuid 7.0 ecx bit 2 (UMIP): "
        shr ecx, 2
        and ecx, 1
        DEC ecx
        NL
        PRINT "-- UMIP clear, CPL 0", 10
        STORES
        PRINT "-- UMIP clear, CPL 3", 10
        mov eax, user_stores
        mov ecx, 0x202
        call ring3_call
        mov eax, cr4
        or eax, CR4_UMIP
        mov cr4, eax
        mov eax, cr4
        PRINT "cr4 after setting UMIP: "
        H8 eax
        NL
        PRINT "-- UMIP set, CPL 0", 10
        STORES
        PRINT "  sgdt limit read back at CPL 0: "
        sgdt [scratch]
        movzx eax, word [scratch]
        H4 eax
        NL
        PRINT "-- UMIP set, CPL 3", 10
        mov eax, user_stores
        mov ecx, 0x202
        call ring3_call
        ret

user_stores:
        STORES
        PRINT "  mov from cr0: "
        TRY
        mov eax, cr0
        ENDTRY
        RING3_EXIT

section .bss
scratch:        resb 8
