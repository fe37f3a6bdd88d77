; dbreg: the debug registers (Intel SDM Vol. 3 ch. 17) as a kernel uses them for code breakpoints: DR6/DR7 after
; reset and their fixed bits, DR4/DR5 (aliases of DR6/DR7 with CR4.DE clear, #UD with it set), an instruction
; breakpoint (#DB before the instruction, DR6's B bit), the resume flag (a handler that sets RF in the frame
; resumes the instruction once, and the breakpoint fires again the next time), a breakpoint on the instruction
; after MOV SS and after POP SS (not reported: those hold debug exceptions for one instruction), and general detect
; (DR7.GD: #DB on MOV DR, DR6.BD, GD cleared for the handler). Then data breakpoints: a #DB trap after the
; instruction whose access overlaps the watched bytes (length 1, 2 or 4, the address aligned down to the length),
; writes only (R/W 01) or reads and writes (R/W 11); the handler prints DR6 and where the trap left EIP.
%include "common.inc"

main:
        PRINT "dbreg", 10
        PRINT "reset: dr6="
        mov eax, dr6
        H8 eax
        PRINT " dr7="
        mov eax, dr7
        H8 eax
        NL
        PRINT "fixed bits: dr6="
        xor eax, eax
        mov dr6, eax
        mov eax, dr6
        H8 eax
        PRINT " dr7="
        mov eax, 0x400
        mov dr7, eax
        mov eax, dr7
        H8 eax
        NL
        PRINT "dr4/dr5 alias: "
        mov eax, 0x0000000F
        mov dr6, eax
        mov eax, dr4
        H8 eax
        PRINT " "
        mov eax, dr5
        H8 eax
        NL
        PRINT "dr4 with cr4.de: "
        mov eax, cr4
        or eax, 8
        mov cr4, eax
        TRY
        mov eax, dr4
        ENDTRY
        mov eax, cr4
        and eax, ~8
        mov cr4, eax
        xor eax, eax
        mov dr6, eax

        PRINT "breakpoint: "
        mov eax, bp1
        mov dr0, eax
        mov dr1, eax                ; disabled, same address
        mov eax, 0x00000001         ; L0, R/W0 = 00 (execute), LEN0 = 00
        mov dr7, eax
        TRY
        nop
bp1:    nop
        ENDTRY
        mov eax, dr6
        H8 eax
        NL

        mov eax, 1
        mov edx, db_resume
        mov cl, GATE_INT0
        call idt_set
        PRINT "resume flag: "
        xor eax, eax
        mov dr6, eax
        mov eax, bp2
        mov dr0, eax
        mov ecx, 2
dbr_again: nop
bp2:    inc dword [executed]
        loop dbr_again
        mov eax, [hits]
        H8 eax
        PRINT " "
        mov eax, [executed]
        H8 eax
        PRINT " "
        mov eax, [hit_dr6]
        H8 eax
        PRINT " "
        mov eax, [hit_eflags]
        and eax, 0x10000
        H8 eax
        NL

        PRINT "after mov ss: "
        mov dword [hits], 0
        mov eax, bp3
        mov dr0, eax
        mov ax, ss
        mov ss, ax
bp3:    nop
        mov eax, [hits]
        H8 eax
        NL
        PRINT "after pop ss: "
        mov eax, bp4
        mov dr0, eax
        push ss
        pop ss
bp4:    nop
        mov eax, [hits]
        H8 eax
        NL
        PRINT "the same breakpoint without mov ss: "
        mov eax, bp5
        mov dr0, eax
        nop
bp5:    nop
        mov eax, [hits]
        H8 eax
        NL

        xor eax, eax
        mov dr7, eax
        mov dr6, eax
        mov eax, 1
        mov edx, [exc_stub_table + 4]
        mov cl, GATE_INT0
        call idt_set
        PRINT "general detect: "
        mov eax, 0x2400
        mov dr7, eax
        TRY
        mov eax, dr0
        ENDTRY
        mov eax, dr6
        H8 eax
        PRINT " "
        mov eax, dr7
        H8 eax
        NL
        call data_breakpoints
        ret

; DATA 'name', dr7, dr0, instruction...: arms DR0 with DR7, runs the instruction, prints the traps it raised.
%macro DATA 4+
        PRINT %1
        mov dword [traps], 0
        mov dword [trap_dr6], 0
        mov dword [trap_eip], %%at
        xor eax, eax
        mov dr6, eax
        mov eax, %3
        mov dr0, eax
        mov eax, %2
        mov dr7, eax
        mov dword [trap_base], %%at
  %%at: %4
        xor eax, eax
        mov dr7, eax
        call print_traps
%endmacro

data_breakpoints:
        mov eax, 1
        mov edx, db_trap
        mov cl, GATE_INT0
        call idt_set
        mov dword [wdata], 0
        mov dword [wdata + 4], 0
        DATA "write dword, watch 4: ", 0x000D0001, wdata, mov dword [wdata], 0x11111111
        DATA "write word inside, watch 4: ", 0x000D0001, wdata, mov word [wdata + 2], 0x2222
        DATA "read, watch writes: ", 0x000D0001, wdata, mov eax, [wdata]
        DATA "read, watch reads and writes: ", 0x000F0001, wdata, mov eax, [wdata]
        DATA "write byte before, watch 4: ", 0x000D0001, wdata + 4, mov byte [wdata + 3], 0x33
        DATA "write byte 1, watch 2 at +1 (aligned to +0): ", 0x00050001, wdata + 1, mov byte [wdata], 0x44
        DATA "write byte 2, watch 2 at +1: ", 0x00050001, wdata + 1, mov byte [wdata + 2], 0x55
        DATA "write dword across, watch 1: ", 0x00010001, wdata + 5, mov dword [wdata + 3], 0x66666666
        lea eax, [esp - 4]
        mov [stack_slot], eax
        DATA "push, watch the stack: ", 0x000D0001, [stack_slot], push eax
        pop eax
        DATA "disabled: ", 0x000D0000, wdata, mov dword [wdata], 0x77777777
        ret

; traps, DR6 at the last (0 without one), and where it left EIP relative to the instruction (its length: a trap
; comes after the instruction; 0 without one)
print_traps:
        mov eax, [traps]
        H2 eax
        PRINT " "
        mov eax, [trap_dr6]
        H8 eax
        PRINT " "
        mov eax, [trap_eip]
        sub eax, [trap_base]
        H2 eax
        NL
        ret

; #DB trap from a data breakpoint: count it, keep DR6 and the EIP it left.
db_trap:
        push eax
        inc dword [traps]
        mov eax, dr6
        mov [trap_dr6], eax
        mov eax, [esp + 4]
        mov [trap_eip], eax
        pop eax
        iretd

; #DB with the breakpoint still armed: count it, keep DR6 and the pushed EFLAGS of the first, resume with RF.
db_resume:
        push eax
        inc dword [hits]
        cmp dword [hits], 1
        jne .frame
        mov eax, dr6
        mov [hit_dr6], eax
        mov eax, [esp + 12]
        mov [hit_eflags], eax
.frame: or dword [esp + 12], 0x10000
        pop eax
        iretd

section .data
hits:           dd 0
executed:       dd 0
hit_dr6:        dd 0
hit_eflags:     dd 0
traps:          dd 0
trap_dr6:       dd 0
trap_eip:       dd 0
trap_base:      dd 0
stack_slot:     dd 0
        align 8
wdata:          dd 0, 0
