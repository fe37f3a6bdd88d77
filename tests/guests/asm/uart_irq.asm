; uart_irq: 16550 THR-empty interrupt on IRQ4 through the PIC, interrupt
; driven output, IIR/LSR/MCR/MSR at fixed points, FIFO bits in IIR, loopback.
; Run with stdin empty (</dev/null): received host bytes would set LSR.DR.
%include "common.inc"

RBR equ COM1 + 0
THR equ COM1 + 0
IER equ COM1 + 1
IIR equ COM1 + 2
FCR equ COM1 + 2
MCR equ COM1 + 4
LSR equ COM1 + 5
MSR equ COM1 + 6

%macro INB 1
        mov dx, %1
        in al, dx
        movzx eax, al
%endmacro
%macro OUTB 2
        mov dx, %1
        mov al, %2
        out dx, al
%endmacro

main:
        PRINT "uart_irq", 10
        mov eax, 0x20
.vec:   mov edx, unexpected_irq
        mov cl, GATE_INT0
        call idt_set
        inc eax
        cmp eax, 0x30
        jb .vec
        mov eax, 0x24
        mov edx, com1_handler
        call idt_set

        ; ---- idle state ----
        OUTB MCR, 0x0B                      ; DTR|RTS|OUT2 (OUT2 gates IRQ4)
        INB IIR
        PRINT "idle: iir="
        H2 eax
        INB LSR
        and eax, 0xFE                       ; ignore DR (host input)
        PRINT " lsr&fe="
        H2 eax
        INB MCR
        PRINT " mcr="
        H2 eax
        INB IER
        PRINT " ier="
        H2 eax
        NL
        OUTB FCR, 0x07                      ; FIFO on (+ clear both FIFOs)
        INB IIR
        PRINT "fifo on: iir="
        H2 eax
        OUTB FCR, 0x00
        INB IIR
        PRINT " fifo off: iir="
        H2 eax
        NL

        ; ---- THR-empty interrupt, polled look (no output in between) ----
        OUTB IER, 0x02
        INB IIR
        mov ebx, eax
        INB IIR
        mov ecx, eax
        OUTB IER, 0x00
        PRINT "ier=02 (irq off at pic): iir="
        H2 ebx
        PRINT " iir again="
        H2 ecx
        NL

        ; ---- interrupt driven output ----
        mov dword [tx_ptr], tx_msg
        mov al, 0xEF                        ; unmask IRQ4
        out 0x21, al
        OUTB IER, 0x02                      ; THRE is set: interrupt now
        mov al, 0x0A                        ; OCW3: read IRR
        out 0x20, al
        in al, 0x20
        and eax, 0x10
        mov [irr_seen], eax
.wait:  cli
        cmp dword [tx_done], 0
        jne .sent
        sti
        hlt
        jmp .wait
.sent:  mov al, 0xFF
        out 0x21, al
        PRINT "irr bit 4 before sti="
        H2 [irr_seen]
        PRINT " irqs="
        DEC [irq_count]
        PRINT " first iir="
        H2 [iir_first]
        PRINT " iir or="
        H2 [iir_or]
        PRINT " iir and="
        H2 [iir_and]
        PRINT " lsr&20 and="
        H2 [lsr_and]
        NL
        INB IIR
        PRINT "after: ier="
        push eax
        INB IER
        H2 eax
        pop eax
        PRINT " iir="
        H2 eax
        INB LSR
        and eax, 0xFE
        PRINT " lsr&fe="
        H2 eax
        NL

        ; ---- loopback receive, polled (nothing reaches the host meanwhile,
        ; so the values are kept in lb[] and printed afterwards) ----
        OUTB MCR, 0x1B                      ; LOOP|OUT2|RTS|DTR
        INB MSR
        and eax, 0xF0
        mov [lb + 0], eax
        OUTB IER, 0x01                      ; received-data interrupt (PIC masked)
        INB IIR
        mov [lb + 4], eax
        OUTB THR, 'Z'
        mov ecx, 1000000
.rx:    INB LSR
        test al, 1
        jnz .got
        loop .rx
.got:   mov [lb + 8], eax
        INB IIR
        mov [lb + 12], eax
        INB RBR
        mov [lb + 16], eax
        INB LSR
        mov [lb + 20], eax
        INB IIR
        mov [lb + 24], eax
        OUTB IER, 0x00
        OUTB MCR, 0x03
        PRINT "loopback: msr&f0="
        H2 [lb + 0]
        PRINT " ier=01 iir="
        H2 [lb + 4]
        PRINT " | sent 5a: lsr="
        H2 [lb + 8]
        PRINT " iir="
        H2 [lb + 12]
        PRINT " rbr="
        H2 [lb + 16]
        PRINT " | after read: lsr="
        H2 [lb + 20]
        PRINT " iir="
        H2 [lb + 24]
        NL
        ret

com1_handler:
        pushad
        inc dword [irq_count]
        INB IIR
        cmp dword [irq_count], 1
        jne .1
        mov [iir_first], eax
.1:     or [iir_or], eax
        and [iir_and], eax
        INB LSR
        and eax, 0x20
        and [lsr_and], eax
        mov esi, [tx_ptr]
        mov al, [esi]
        test al, al
        jz .end
        mov dx, THR
        out dx, al
        inc dword [tx_ptr]
        jmp .eoi
.end:   OUTB IER, 0x00                      ; nothing left: THRE interrupt off
        mov dword [tx_done], 1
.eoi:   mov al, 0x20
        out 0x20, al
        popad
        iretd

unexpected_irq:
        PRINT "unexpected irq", 10
        EXIT 2

section .data
tx_msg:    db "interrupt-driven output via IRQ4", 10, 0
        align 4
tx_ptr:    dd 0
tx_done:   dd 0
irq_count: dd 0
irr_seen:  dd 0
iir_first: dd 0
iir_or:    dd 0
iir_and:   dd 0xFF
lsr_and:   dd 0xFF
lb:        times 8 dd 0
