; nmi: nonmaskable interrupts from the local APIC (Intel SDM Vol. 3: 6.7, 6.7.1, table 6-2, 11.6.1): a self-NMI
; through the ICR is taken with IF = 0; while its handler runs NMIs are blocked and one more is latched (any further
; one is lost), to be taken right after the handler's IRET; an NMI comes before a maskable interrupt pending at the
; same boundary; the ICR's shorthands as they apply to one processor; an NMI through a task gate (vector 2), nested
; NMIs held off until the NMI task's IRET; and last, an IRET that faults has unblocked NMIs all the same (QEMU TCG
; keeps them blocked until the next IRET that completes, so it parts from the SDM there, and only there). Each NMI
; handler's IRET follows an INVLPG of its frame: under shadow paging the VMM restarts that IRET after a hidden fault,
; and must block NMIs again for it (the exit's "NMI unblocking due to IRET").
%include "common.inc"

APIC_EOI        equ 0xFEE000B0
APIC_ICR_LO     equ 0xFEE00300
APIC_ICR_HI     equ 0xFEE00310
ICR_NMI         equ 0x400               ; delivery mode NMI (vector ignored)
ICR_FIXED       equ 0x000
SH_SELF         equ 1 << 18
SH_ALL          equ 2 << 18
SH_OTHERS       equ 3 << 18
VEC_IRQ         equ 0x40
SEL_NMI_TSS     equ SEL_SPARE           ; the NMI task's TSS
TSS_BYTES       equ 0x68

; SEND icr-low: an IPI to APIC ID 0 (the destination field matters only without a shorthand)
%macro SEND 1
        mov dword [APIC_ICR_HI], 0
        mov dword [APIC_ICR_LO], %1
        jmp short %%done                ; a branch: QEMU TCG takes interrupts at block ends
%%done:
%endmacro

main:
        PRINT "nmi", 10
        mov eax, 2
        mov edx, nmi_handler
        mov cl, GATE_INT0
        call idt_set
        mov eax, VEC_IRQ
        mov edx, irq_handler
        mov cl, GATE_INT0
        call idt_set

        ; ---- a self-NMI with IF = 0 is taken at once ----
        cli
        SEND SH_SELF | ICR_NMI | 0x55
        PRINT "self NMI with IF=0: count="
        DEC [nmi_count]
        NL

        ; ---- destination forms: own physical ID, all including self; all excluding self reaches no one ----
        SEND ICR_NMI
        PRINT "physical ID 0: count="
        DEC [nmi_count]
        NL
        SEND SH_ALL | ICR_NMI
        PRINT "all including self: count="
        DEC [nmi_count]
        NL
        SEND SH_OTHERS | ICR_NMI
        PRINT "all excluding self: count="
        DEC [nmi_count]
        NL

        ; ---- blocking until IRET: two more NMIs inside the handler, one latched, taken right after the IRET ----
        mov dword [nmi_hook], hook_send_two
        SEND SH_SELF | ICR_NMI
        mov dword [nmi_hook], 0
        PRINT "after IRET: count="
        DEC [nmi_count]
        PRINT " latched NMI returned where the first did: "
        mov eax, [nmi_eip]
        cmp eax, [nmi_first_eip]
        je .same
        PRINT "no", 10
        jmp .prio
.same:  PRINT "yes", 10

        ; ---- priority: an NMI and a fixed interrupt pending at the same boundary; the NMI first ----
.prio:  mov dword [nmi_hook], hook_nmi_and_irq
        SEND SH_SELF | ICR_NMI
        mov dword [nmi_hook], 0
        cli
        PRINT "priority: count="
        DEC [nmi_count]
        PRINT " irqs="
        DEC [irq_count]
        NL

        ; ---- through a task gate: the NMI task runs, a second NMI waits for its IRET ----
        mov edi, nmi_tss
        xor eax, eax
        mov ecx, TSS_BYTES / 4
        rep stosd
        mov dword [nmi_tss + 0x20], nmi_task        ; EIP
        mov dword [nmi_tss + 0x24], 2               ; EFLAGS
        mov dword [nmi_tss + 0x38], nmi_task_stack_top
        mov dword [nmi_tss + 0x4C], SEL_KCODE
        mov dword [nmi_tss + 0x48], SEL_KDATA
        mov dword [nmi_tss + 0x50], SEL_KDATA
        mov dword [nmi_tss + 0x54], SEL_KDATA
        mov dword [nmi_tss + 0x58], SEL_KDATA
        mov dword [nmi_tss + 0x5C], SEL_KDATA
        mov word [nmi_tss + 0x66], TSS_BYTES
        mov eax, cr3
        mov [nmi_tss + 0x1C], eax
        mov edi, gdt + SEL_NMI_TSS
        mov eax, nmi_tss
        mov ecx, TSS_BYTES - 1
        mov dl, 0x89
        call set_sys_desc
        mov dword [idt + 2 * 8], SEL_NMI_TSS << 16
        mov dword [idt + 2 * 8 + 4], 0x8500
        SEND SH_SELF | ICR_NMI
        PRINT "task gate: task runs="
        DEC [task_runs]
        PRINT " TR="
        str eax
        H4 eax
        NL
        mov eax, 2
        mov edx, nmi_handler
        mov cl, GATE_INT0
        call idt_set

        ; ---- an IRET that faults has unblocked NMIs (SDM): the latched NMI comes before the #GP handler's line ----
        mov dword [nmi_hook], hook_faulting_iret
        SEND SH_SELF | ICR_NMI
        mov dword [nmi_hook], 0
        PRINT "after the faulting IRET: count="
        DEC [nmi_count]
        NL
        ret

; ---- handlers ---------------------------------------------------------------
nmi_handler:
        pushad
        inc dword [nmi_count]
        mov eax, [esp + 32]                 ; the interrupted EIP
        mov [nmi_eip], eax
        PRINT "NMI "
        DEC [nmi_count]
        pushfd
        test dword [esp], 0x200
        jz .if0
        PRINT " IF=1 (wrong)"
.if0:   add esp, 4
        NL
        mov eax, [nmi_hook]
        mov dword [nmi_hook], 0             ; the hook runs for one NMI only
        test eax, eax
        jz .done
        lea ebx, [esp + 32]                 ; the hook gets the interrupt frame
        call eax
.done:  popad
        invlpg [esp]                        ; no effect here, but a shadow-paging VMM drops the frame's page, so the
        iretd                               ; IRET takes a hidden fault and is restarted: NMIs must stay blocked

irq_handler:
        pushad
        inc dword [irq_count]
        PRINT "IRQ 0x40 after "
        DEC [nmi_count]
        PRINT " NMIs", 10
        mov dword [APIC_EOI], 0
        popad
        iretd

; two more NMIs while this one is handled: both wait, only one is kept
hook_send_two:
        mov eax, [ebx]
        mov [nmi_first_eip], eax
        SEND SH_SELF | ICR_NMI
        SEND SH_SELF | ICR_NMI
        PRINT "in the handler after two more: count="
        DEC [nmi_count]
        NL
        ret

; a fixed interrupt and an NMI, both held until this handler's IRET, which sets IF: the NMI comes first
hook_nmi_and_irq:
        SEND SH_SELF | ICR_FIXED | VEC_IRQ
        SEND SH_SELF | ICR_NMI
        or dword [ebx + 8], 0x200           ; return with IF = 1
        PRINT "in the handler: irqs="
        DEC [irq_count]
        NL
        ret

; latch an NMI, then IRET through a frame whose CS is null: #GP(0); the IRET unblocked NMIs first
hook_faulting_iret:
        SEND SH_SELF | ICR_NMI
        mov [saved_esp], esp
        TRY
        pushfd
        push dword 0                        ; CS: null
        push dword .never
        iretd
.never: ENDTRY
        mov esp, [saved_esp]                ; the frame the faulting IRET left
        PRINT "in the handler after the #GP: count="
        DEC [nmi_count]
        NL
        ret

; the NMI task: entered through the task gate, back to main with IRET (NT), re-entered at its loop
nmi_task:
        inc dword [task_runs]
        PRINT "NMI task run "
        DEC [task_runs]
        PRINT " link="
        H4 [nmi_tss]
        pushfd
        pop eax
        test eax, 0x4000
        jz .nt0
        PRINT " NT"
.nt0:   NL
        cmp dword [task_runs], 1
        jne .back
        SEND SH_SELF | ICR_NMI              ; held off until this task's IRET
        PRINT "NMI task: runs still "
        DEC [task_runs]
        NL
.back:  iretd
        jmp nmi_task

        section .data
nmi_count:      dd 0
irq_count:      dd 0
task_runs:      dd 0
nmi_hook:       dd 0
nmi_eip:        dd 0
nmi_first_eip:  dd 0
saved_esp:      dd 0

        section .bss
        alignb 16
nmi_tss:        resb TSS_BYTES
        alignb 16
nmi_task_stack: resb 4096
nmi_task_stack_top:
