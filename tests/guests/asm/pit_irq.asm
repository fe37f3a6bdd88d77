; pit_irq: 8259A remap and OCW3 register reads, 8254 channel 0 in mode 2 and
; mode 3 at ~1 kHz, IRQ0 delivered through an interrupt gate, HLT wait.
; Only tick counts and PIC/PIT state at fixed points are printed, never
; anything that depends on wall-clock time.
%include "common.inc"

PIT_DIV equ 1193                    ; 1193182 Hz / 1193 = ~1000 Hz
TARGET  equ 10

main:
        PRINT "pit_irq", 10
        call pic_init                       ; ICW1-4: master 0x20, slave 0x28
        mov eax, 0x20
.vec:   mov edx, unexpected_irq
        mov cl, GATE_INT0
        call idt_set
        inc eax
        cmp eax, 0x30
        jb .vec
        mov eax, 0x20
        mov edx, timer_handler
        call idt_set

        in al, 0x21
        movzx eax, al
        PRINT "imr master="
        H2 eax
        in al, 0xA1
        PRINT " slave="
        H2 eax
        NL

        ; ---- mode 2 (rate generator) ----
        mov byte [eoi_cmd], 0x20            ; non-specific EOI
        mov al, 0x34                        ; ch0, lo/hi, mode 2, binary
        call pit_program
        call wait_irr
        mov eax, 0xFE                       ; unmask IRQ0
        out 0x21, al
        call wait_ticks
        PRINT "mode 2: ticks="
        DEC [ticks]
        PRINT " isr in handler="
        H2 [isr_in]
        PRINT " isr after eoi="
        H2 [isr_after]
        PRINT " imr in handler="
        H2 [imr_in]
        in al, 0x21
        movzx eax, al
        PRINT " imr now="
        H2 eax
        NL

        ; ---- mode 3 (square wave) ----
        mov dword [ticks], 0
        mov byte [eoi_cmd], 0x60            ; specific EOI for IR0
        mov al, 0x36                        ; ch0, lo/hi, mode 3, binary
        call pit_program
        mov eax, 0xFE
        out 0x21, al
        call wait_ticks
        PRINT "mode 3: ticks="
        DEC [ticks]
        PRINT " isr in handler="
        H2 [isr_in]
        PRINT " isr after eoi="
        H2 [isr_after]
        NL
        ; leave the PIT quiet
        mov al, 0x30                        ; mode 0, no count loaded
        out 0x43, al
        ret

; pit_program: al = control word; loads PIT_DIV, reads back the status
; (mode bits only) and latches the count once (prints only a range check)
pit_program:
        out 0x43, al
        mov al, PIT_DIV & 0xFF
        out 0x40, al
        mov al, PIT_DIV >> 8
        out 0x40, al
        mov al, 0xE2                        ; read-back: status of ch0, no count
        out 0x43, al
        in al, 0x40
        and eax, 0x3F                       ; drop OUT and null-count bits
        PRINT "pit status&3f="
        H2 eax
        xor al, al                          ; counter latch ch0
        out 0x43, al
        in al, 0x40
        mov ah, al
        in al, 0x40
        xchg al, ah
        movzx eax, ax
        PRINT " latched count<=divisor:"
        cmp eax, PIT_DIV
        jbe .yes
        PRINT "no", 10
        ret
.yes:   PRINT "yes", 10
        ret

; wait_irr: with IRQ0 masked and IF=0 the PIT edge still lands in the IRR
wait_irr:
        mov al, 0x0A                        ; OCW3: read IRR
        out 0x20, al
        mov ecx, 100000000
.poll:  in al, 0x20
        test al, 1
        jnz .seen
        loop .poll
        PRINT "irr: timeout", 10
        ret
.seen:  movzx eax, al
        and eax, 1
        PRINT "irr bit 0 while masked="
        H2 eax
        NL
        ret

; wait_ticks: STI;HLT until the handler has counted TARGET ticks (it masks
; IRQ0 itself at TARGET, so the count cannot overshoot)
wait_ticks:
.loop:  cli
        cmp dword [ticks], TARGET
        jae .done
        sti
        hlt
        jmp .loop
.done:  ret

timer_handler:
        push eax
        inc dword [ticks]
        cmp dword [ticks], 1
        jne .eoi
        mov al, 0x0B                        ; OCW3: read ISR
        out 0x20, al
        in al, 0x20
        mov [isr_in], al
        in al, 0x21
        mov [imr_in], al
.eoi:   mov al, [eoi_cmd]
        out 0x20, al
        cmp dword [ticks], 1
        jne .mask
        in al, 0x20                         ; ISR still selected
        mov [isr_after], al
.mask:  cmp dword [ticks], TARGET
        jb .out
        in al, 0x21
        or al, 1
        out 0x21, al
.out:   pop eax
        iretd

unexpected_irq:
        PRINT "unexpected irq", 10
        EXIT 2

section .data
        align 4
ticks:     dd 0
isr_in:    dd 0
isr_after: dd 0
imr_in:    dd 0
eoi_cmd:   db 0x20
