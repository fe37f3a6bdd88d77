; rtc: the CMOS real-time clock and NVRAM (MC146818 at 0x70/0x71, IRQ 8 on the
; slave 8259's line 0).  Run with the clock's start time fixed at
; 2026-12-07T12:34:56 (translator --rtc-base, QEMU -rtc base=...,clock=vm).
; Prints the registers and NVRAM, then, synchronised to an update-ended
; interrupt so that nothing depends on how long the firmware took: the time in
; BCD and binary, 12-hour mode with the PM bit, SET, the divider restart, UIP
; around an update, the periodic interrupt counted against the PIT, and alarms
; (a year and a leap-day rollover).  Only values and range checks that are the
; same on every conforming machine are printed.
%include "common.inc"

RTC_VEC equ 0x28                    ; slave 8259 base 0x28, line 0 = IRQ 8
PIT_VEC equ 0x20

%macro CMOS_R 1                     ; al = CMOS[%1]
        mov al, %1
        out 0x70, al
        in al, 0x71
%endmacro
%macro CMOS_W 2                     ; CMOS[%1] = %2
        mov al, %1
        out 0x70, al
        mov al, %2
        out 0x71, al
%endmacro
%macro PRINT_REG 2                  ; "text" and CMOS[%2] in hex
        CMOS_R %2
        movzx eax, al
        PRINT %1
        H2 eax
%endmacro

main:
        PRINT "rtc", 10
        mov eax, 0x20
.vec:   mov edx, unexpected_irq
        mov cl, GATE_INT0
        call idt_set
        inc eax
        cmp eax, 0x30
        jb .vec
        mov eax, RTC_VEC
        mov edx, rtc_handler
        call idt_set
        mov eax, PIT_VEC
        mov edx, pit_handler
        call idt_set

        ; ---- registers after reset, the index port, the NMI-mask bit ----
        CMOS_R 0x0A
        and eax, 0x7F                       ; UIP depends on when we look
        movzx eax, al
        PRINT "A&7f="
        H2 eax
        PRINT_REG " B=", 0x0B
        PRINT_REG " C=", 0x0C
        PRINT_REG " D=", 0x0D
        in al, 0x70
        movzx eax, al
        PRINT " port70="
        H2 eax
        PRINT_REG " D via index|80=", 0x8D
        NL
        call dump_nvram

        ; ---- the time, at an update-ended interrupt ----
        call unmask_rtc
        call wait_update
        movzx eax, byte [c_last]
        PRINT "update-ended interrupt: C="
        H2 eax
        PRINT_REG " UIP after it=", 0x0A
        NL
        PRINT_REG "base: ", 0x32
        PRINT_REG "", 0x09
        PRINT_REG "-", 0x08
        PRINT_REG "-", 0x07
        PRINT_REG " ", 0x04
        PRINT_REG ":", 0x02
        CMOS_R 0x00                         ; how long the firmware ran decides the second
        PRINT " seconds in 57..59: "
        cmp al, 0x57
        jb .late
        cmp al, 0x59
        ja .late
        PRINT "ok", 10
        jmp .set_start
.late:  PRINT "no", 10
.set_start:                                 ; a known time, in the same phase of the second
        CMOS_W 0x0B, 0x82
        CMOS_W 0x00, 0x57
        CMOS_W 0x0B, 0x02
        call print_bcd_time
        CMOS_W 0x0B, 0x06                   ; binary, 24-hour
        call print_binary_time
        CMOS_W 0x0B, 0x00                   ; BCD, 12-hour
        PRINT_REG "12-hour: hours=", 0x04
        NL

        ; ---- SET: write 1 PM, then 12 AM, in 12-hour mode ----
        CMOS_W 0x0B, 0x80                   ; SET, 12-hour BCD
        CMOS_W 0x04, 0x81                   ; 1 PM
        CMOS_W 0x02, 0x05
        CMOS_W 0x00, 0x00
        PRINT_REG "SET: hours reads back ", 0x04
        CMOS_W 0x0B, 0x02                   ; run, 24-hour
        PRINT_REG ", after SET in 24-hour mode hours=", 0x04
        PRINT_REG " minutes=", 0x02
        NL
        CMOS_W 0x0B, 0x80
        CMOS_W 0x04, 0x12                   ; 12 AM (midnight)
        CMOS_W 0x0B, 0x02
        PRINT_REG "12 AM in 24-hour mode: hours=", 0x04
        NL

        ; ---- divider reset: the first update comes half a second after it ends ----
        CMOS_W 0x0A, 0x76
        PRINT_REG "divider reset: A=", 0x0A
        CMOS_W 0x0A, 0x26
        call pm_timer
        mov [t0], eax
        call wait_update
        call pm_timer
        sub eax, [t0]
        and eax, 0xFFFFFF
        PRINT " first update after restart "
        cmp eax, 1789772 - 3580             ; 0.5 s of 3.579545 MHz, +-1 ms
        jb .bad_div
        cmp eax, 1789772 + 3580
        ja .bad_div
        PRINT "0.5 s: ok", 10
        jmp .uip
.bad_div:
        PRINT "not 0.5 s: "
        DEC eax
        NL

        ; ---- UIP: set in the 244 us before an update, which advances the seconds ----
.uip:   call wait_update
        CMOS_R 0x00
        mov [sec0], al
        call pm_timer
        mov [t0], eax
        CMOS_W 0x0A, 0x28                   ; 256 Hz, only to wake HLT
        CMOS_W 0x0B, 0x42                   ; PIE
.doze:  cli
        call pm_timer
        sub eax, [t0]
        and eax, 0xFFFFFF
        cmp eax, 3525852                    ; 0.985 s
        jae .awake
        sti
        hlt
        jmp .doze
.awake:
        CMOS_W 0x0B, 0x02                   ; periodic off
        CMOS_W 0x0A, 0x26
        mov al, 0x0A
        out 0x70, al
.before:
        call pause
        in al, 0x71
        test al, 0x80
        jz .before
        call pm_timer
        mov [t0], eax
        mov al, 0x00
        out 0x70, al
        in al, 0x71
        mov [sec1], al
        mov al, 0x0A
        out 0x70, al
.during:
        call pause
        in al, 0x71
        test al, 0x80
        jnz .during
        call pm_timer
        sub eax, [t0]
        and eax, 0xFFFFFF
        PRINT "UIP: seconds unchanged while set="
        mov bl, [sec0]
        cmp bl, [sec1]
        sete bl
        movzx ebx, bl
        DEC ebx
        PRINT ", set for 244 us="
        cmp eax, 874 - 20
        setae bl
        cmp eax, 874 + 20
        setbe bh
        and bl, bh
        movzx ebx, bl
        DEC ebx
        CMOS_R 0x00
        mov ah, [sec0]
        call bcd_inc
        cmp al, ah
        sete al
        movzx eax, al
        PRINT ", seconds then +1="
        DEC eax
        NL

        ; ---- periodic rates, polling PF with IRQ 8 masked at the 8259 ----
        mov al, 0xFF
        out 0xA1, al
        mov ebx, 0x26                       ; 1024 Hz: 16 periods of 976.5625 us
        mov ecx, 16
        mov esi, 55930
        call periodic_rate
        mov ebx, 0x23                       ; 8192 Hz: 64 periods of 122.07 us
        mov ecx, 64
        mov esi, 27965
        call periodic_rate
        mov ebx, 0x21                       ; RS 1 is 256 Hz (as RS 8): 4 periods
        mov ecx, 4
        mov esi, 55930
        call periodic_rate
        call unmask_rtc

        ; ---- periodic interrupt against the PIT (100 Hz, mode 2) ----
        mov ebx, 0x26                       ; 1024 Hz against the PIT at 1 kHz
        mov edi, 1193
        mov esi, 20
        call periodic_vs_pit
        mov ebx, 0x21                       ; RS 1 is 256 Hz (as RS 8)
        mov edi, 1193
        mov esi, 5
        call periodic_vs_pit

        ; ---- alarms: hours don't care, 00:00 at the turn of the year ----
        CMOS_W 0x0B, 0x82
        CMOS_W 0x32, 0x20
        CMOS_W 0x09, 0x26
        CMOS_W 0x08, 0x12
        CMOS_W 0x07, 0x31
        CMOS_W 0x04, 0x23
        CMOS_W 0x02, 0x59
        CMOS_W 0x00, 0x58
        CMOS_W 0x05, 0xFF
        CMOS_W 0x03, 0x00
        CMOS_W 0x01, 0x00
        CMOS_R 0x0C                         ; nothing stale
        mov dword [alarm_irqs], 0
        CMOS_W 0x0B, 0x22                   ; run, AIE
        call wait_alarm
        movzx eax, byte [c_last]
        PRINT "alarm at 00:00:00: C="
        H2 eax
        PRINT_REG " C after read=", 0x0C
        NL
        call print_bcd_time

        ; every field don't care: the next second, here into a leap day
        CMOS_W 0x0B, 0x82
        CMOS_W 0x09, 0x28
        CMOS_W 0x08, 0x02
        CMOS_W 0x07, 0x28
        CMOS_W 0x04, 0x23
        CMOS_W 0x02, 0x59
        CMOS_W 0x00, 0x59
        CMOS_W 0x05, 0xC0
        CMOS_W 0x03, 0xC0
        CMOS_W 0x01, 0xC0
        CMOS_R 0x0C
        CMOS_W 0x0B, 0x22
        call wait_alarm
        movzx eax, byte [c_last]
        PRINT "alarm, every field don't care: C="
        H2 eax
        NL
        call print_bcd_time

        ; an interrupt flag already set when its enable is set raises IRQ 8 at once
        CMOS_W 0x0B, 0x02                   ; alarm fields still all don't care
        CMOS_R 0x0C
        mov ebx, 105                        ; 1.05 s of 10 ms PIT periods: an update and an alarm pass
        call wait_pit
        mov dword [rtc_irqs], 0
        mov byte [c_last], 0
        CMOS_W 0x0B, 0x22                   ; AIE with AF pending
        sti
        nop
        cli
        movzx eax, byte [c_last]
        PRINT "AIE with AF already set: interrupts="
        DEC [rtc_irqs]
        PRINT " C="
        H2 eax
        NL
        CMOS_W 0x0B, 0x02
        mov al, 0xFF
        out 0xA1, al
        ret

; ---- helpers ----------------------------------------------------------------
unmask_rtc:
        in al, 0x21
        and al, ~0x04                       ; cascade
        out 0x21, al
        in al, 0xA1
        and al, ~0x01                       ; IRQ 8
        out 0xA1, al
        ret

; wait_update: UIE on, HLT until the update-ended interrupt, UIE off
wait_update:
        mov dword [rtc_irqs], 0
        CMOS_R 0x0C
        CMOS_W 0x0B, 0x12
.wait:  cli
        cmp dword [rtc_irqs], 0
        jne .done
        sti
        hlt
        jmp .wait
.done:  CMOS_W 0x0B, 0x02
        ret

; wait_pit: HLT through ebx periods of the PIT at 100 Hz (IRQ 0 only)
wait_pit:
        mov al, 0x34
        out 0x43, al
        mov al, 11932 & 0xFF
        out 0x40, al
        mov al, 11932 >> 8
        out 0x40, al
        mov dword [pit_ticks], 0
        in al, 0x21
        and al, ~0x01
        out 0x21, al
.wait:  cli
        cmp [pit_ticks], ebx
        jae .done
        sti
        hlt
        jmp .wait
.done:  in al, 0x21
        or al, 0x01
        out 0x21, al
        ret

; wait_periodic: HLT until ebx more periodic interrupts
wait_periodic:
        add ebx, [pf_count]
.wait:  cli
        cmp [pf_count], ebx
        jae .done
        sti
        hlt
        jmp .wait
.done:  ret

wait_alarm:
.wait:  cli
        cmp dword [alarm_irqs], 0
        jne .done
        sti
        hlt
        jmp .wait
.done:  mov dword [alarm_irqs], 0
        CMOS_W 0x0B, 0x02
        ret

; periodic_vs_pit: bl = register A, edi = the PIT's count; counts periodic
; interrupts in 20 PIT periods (IRQ 0) while spinning with IF = 1, and checks
; the count is esi or esi+1 (the two timers' phases differ)
periodic_vs_pit:
        mov al, 0x0A
        out 0x70, al
        mov al, bl
        out 0x71, al
        mov al, 0x34                        ; PIT ch0, lo/hi, mode 2
        out 0x43, al
        mov eax, edi
        out 0x40, al
        mov al, ah
        out 0x40, al
        mov dword [pit_ticks], 0
        mov dword [pf_count], 0
        mov byte [pf_c], 0
        in al, 0x21
        and al, ~0x01
        out 0x21, al
        CMOS_R 0x0C
        CMOS_W 0x0B, 0x42                   ; PIE
        sti
.spin:  call pause
        cmp dword [pit_ticks], 21
        jb .spin
        cli
        CMOS_W 0x0B, 0x02
        in al, 0x21
        or al, 0x01
        out 0x21, al
        mov eax, [pf_at21]
        sub eax, [pf_at1]
        movzx edx, bl
        and edx, 0x0F
        PRINT "RS="
        DEC edx
        PRINT ": periodic interrupts in 20 PIT periods "
        cmp eax, esi
        jb .bad
        lea edx, [esi + 1]
        cmp eax, edx
        ja .bad
        PRINT "in "
        DEC esi
        PRINT ".."
        DEC edx
        PRINT ": ok, C in handler&e0="
        movzx eax, byte [pf_c]
        H2 eax
        NL
        ret
.bad:   PRINT "= "
        DEC eax
        NL
        ret

; periodic_rate: bl = register A, ecx = periods, esi = their length in PM
; timer ticks; polls PF and checks the measured time is within 1%
periodic_rate:
        push ecx
        mov al, 0x0A
        out 0x70, al
        mov al, bl
        out 0x71, al
        CMOS_W 0x0B, 0x42
        mov al, 0x0C
        out 0x70, al
        in al, 0x71                         ; clear PF
.first: call pause
        in al, 0x71
        test al, 0x40
        jz .first
        call pm_timer
        mov [t0], eax
.next:  call pause
        in al, 0x71
        test al, 0x40
        jz .next
        loop .next
        call pm_timer
        sub eax, [t0]
        and eax, 0xFFFFFF
        CMOS_W 0x0B, 0x02
        pop ecx
        movzx edx, bl
        and edx, 0x0F
        PRINT "RS="
        DEC edx
        PRINT ": "
        DEC ecx
        PRINT " periods by PF in "
        mov edx, esi
        shr edx, 7                          ; ~0.8 %
        sub eax, esi
        jns .abs
        neg eax
.abs:   cmp eax, edx
        ja .off
        DEC esi
        PRINT " PM timer ticks: ok", 10
        ret
.off:   PRINT "a time off by "
        DEC eax
        PRINT " PM timer ticks", 10
        ret

; pause: about a thousand instructions between two reads of a polled register
pause:
        push ecx
        mov ecx, 500
.p:     dec ecx
        jnz .p
        pop ecx
        ret

; bcd_inc: ah = BCD seconds -> ah = the next second, BCD (59 -> 00)
bcd_inc:
        push ecx
        mov cl, ah
        and cl, 0x0F
        cmp cl, 9
        jb .units
        and ah, 0xF0
        add ah, 0x10
        cmp ah, 0x60
        jb .out
        xor ah, ah
        jmp .out
.units: inc ah
.out:   pop ecx
        ret

pm_timer:
        push edx
        mov dx, 0x608
        in eax, dx
        pop edx
        ret

print_bcd_time:
        PRINT "BCD: "
        PRINT_REG "", 0x32
        PRINT_REG "", 0x09
        PRINT_REG "-", 0x08
        PRINT_REG "-", 0x07
        PRINT_REG " ", 0x04
        PRINT_REG ":", 0x02
        PRINT_REG ":", 0x00
        PRINT_REG " day of week ", 0x06
        NL
        ret

%macro PRINT_DEC_REG 2
        CMOS_R %2
        movzx eax, al
        PRINT %1
        DEC eax
%endmacro
print_binary_time:
        PRINT "binary: "
        PRINT_DEC_REG "century ", 0x32
        PRINT_DEC_REG " year ", 0x09
        PRINT_DEC_REG " month ", 0x08
        PRINT_DEC_REG " day ", 0x07
        PRINT_DEC_REG " ", 0x04
        PRINT_DEC_REG ":", 0x02
        PRINT_DEC_REG ":", 0x00
        NL
        ret

; dump_nvram: bytes 0x0E-0x7F, sixteen to a line
dump_nvram:
        mov ebx, 0x0E
.row:   PRINT "nvram "
        H2 ebx
        PRINT ":"
.col:   mov al, bl
        out 0x70, al
        in al, 0x71
        movzx eax, al
        PRINT " "
        H2 eax
        inc ebx
        cmp ebx, 0x80
        je .end
        test ebx, 15
        jnz .col
        NL
        jmp .row
.end:   NL
        ret

; ---- interrupt handlers -------------------------------------------------------
rtc_handler:
        push eax
        mov al, 0x0C
        out 0x70, al
        in al, 0x71
        mov [c_last], al
        inc dword [rtc_irqs]
        test al, 0x20
        jz .no_alarm
        inc dword [alarm_irqs]
.no_alarm:
        test al, 0x40
        jz .eoi
        inc dword [pf_count]
        cmp byte [pf_c], 0
        jne .eoi
        and al, 0xE0
        mov [pf_c], al
.eoi:   mov al, 0x20
        out 0xA0, al
        out 0x20, al
        pop eax
        iret

pit_handler:
        push eax
        inc dword [pit_ticks]
        mov eax, [pf_count]
        cmp dword [pit_ticks], 1
        jne .last
        mov [pf_at1], eax
.last:  cmp dword [pit_ticks], 21
        jne .eoi
        mov [pf_at21], eax
.eoi:
        mov al, 0x20
        out 0x20, al
        pop eax
        iret

unexpected_irq:
        PRINT "unexpected interrupt", 10
        EXIT 2

section .data
rtc_irqs:       dd 0
alarm_irqs:     dd 0
pf_count:       dd 0
pf_at1:         dd 0
pf_at21:        dd 0
pit_ticks:      dd 0
t0:             dd 0
sec1:           db 0
c_last:         db 0
sec0:           db 0
pf_c:           db 0
