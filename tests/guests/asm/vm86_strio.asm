; vm86_strio: INS and OUTS in virtual-8086 mode (Intel SDM Vol. 3 20.2.8.1, the INS/OUTS pages). A v86 monitor
; runs 8086 code that moves strings between memory and ports: REP OUTSB of a message through COM1 with a CS
; override, forwards and backwards (DF = 1); REP INSW, INSD (0x66) and REP INSB from pc-testdev's scratch register
; into ES:DI (ES's base is its selector x 16), with DI wrapping at 64 KiB; then the faults the monitor sees, each
; ending a session: INSW whose second byte passes ES's 64 KiB limit (#GP(0), nothing read), OUTSB to a port the
; TSS's I/O bitmap denies, INSW from a port pair whose second port it denies, and at IOPL 3 a denied OUTSB (in v86
; mode the bitmap decides whatever IOPL is). The monitor prints IP, CX, SI and DI as the fault left them. Run with
; --device pc-testdev.
%include "common.inc"

V86_CODE        equ 0x2000          ; v86 code segment: the blob is copied to 0x20000
V86_DATA        equ 0x2100          ; DS: linear 0x21000
V86_EXTRA       equ 0x2200          ; ES: linear 0x22000
V86_STACK       equ 0x2300          ; SS: SP starts at 0xFFF0
FLAGS_VM        equ 0x20002
FLAGS_VM_IOPL3  equ 0x23002
TESTDEV         equ 0xE0            ; pc-testdev's 32-bit scratch register, ports 0xE0-0xE3
EXTRA           equ V86_EXTRA << 4

main:
        PRINT "vm86_strio", 10
        ; the I/O bitmap: COM1 (0x3F8-0x3FF) and pc-testdev (0xE0-0xE7) allowed, every other port denied
        mov word [tss + 102], TSS_IOMAP_OFF
        mov byte [tss + TSS_IOMAP_OFF + (0x3F8 >> 3)], 0
        mov byte [tss + TSS_IOMAP_OFF + (0xE0 >> 3)], 0
        mov eax, 13
        mov edx, gp_monitor
        mov cl, GATE_INT0
        call idt_set
        mov esi, v86_blob
        mov edi, V86_CODE << 4
        mov ecx, v86_blob_end - v86_blob
        rep movsb
        mov edi, EXTRA
        mov ecx, 0x10000 / 4
        mov eax, 0xEEEEEEEE
        rep stosd

        PRINT "-- strings", 10
        mov eax, FLAGS_VM
        mov ebx, v86_strings - v86_blob
        call enter_v86
        PRINT "es:0010="
        mov esi, EXTRA + 0x10
        mov ecx, 5
        call dump_dwords
        NL
        PRINT "es:fffc="
        mov eax, [EXTRA + 0xFFFC]
        H8 eax
        PRINT " es:0000="
        mov eax, [EXTRA]
        H8 eax
        NL

        PRINT "-- limit", 10
        mov eax, FLAGS_VM
        mov ebx, v86_limit - v86_blob
        call enter_v86
        PRINT "es:fffc="
        mov eax, [EXTRA + 0xFFFC]
        H8 eax
        PRINT " linear es+10000="
        movzx eax, byte [EXTRA + 0x10000]
        H2 eax
        NL
        PRINT "-- denied port", 10
        mov eax, FLAGS_VM
        mov ebx, v86_denied - v86_blob
        call enter_v86
        PRINT "-- denied second port", 10
        mov eax, FLAGS_VM
        mov ebx, v86_denied_pair - v86_blob
        call enter_v86
        PRINT "-- IOPL 3", 10
        mov eax, FLAGS_VM_IOPL3
        mov ebx, v86_iopl3 - v86_blob
        call enter_v86
        PRINT "done", 10
        ret

; dump_dwords: esi = address, ecx = count; prints the doublewords separated by spaces.
dump_dwords:
        lodsd
        H8 eax
        PRINT " "
        loop dump_dwords
        ret

%include "v86_enter.inc"

; #GP from v86 mode ends the session: the monitor prints the error code, IP, the opcode there, CX, SI and DI.
gp_monitor:
        push eax
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        pop eax
        pushad
        lea ebp, [esp + 36]         ; the EIP slot (after pushad and the error code)
        PRINT "#GP("
        H4 [ebp - 4]
        PRINT ") ip="
        H4 [ebp]
        movzx eax, word [ebp + 4]   ; the first byte at CS:IP
        shl eax, 4
        add eax, [ebp]
        movzx eax, byte [eax]
        PRINT " opcode="
        H2 eax
        PRINT " cx="
        H4 [ebp - 12]               ; pushad's ECX, ESI and EDI slots
        PRINT " si="
        H4 [ebp - 32]
        PRINT " di="
        H4 [ebp - 36]
        NL
        mov ax, SEL_KDATA
        mov fs, ax
        mov gs, ax
        mov esp, [monitor_esp]
        popad
        ret

; ---- the 8086 code (copied to V86_CODE:0000) -----------------------------------------------------------------
        [section .data]
        align 16
v86_blob:
        bits 16
v86_strings:
        mov dx, 0x3F8
        mov si, v86_message - v86_blob
        mov cx, v86_message_end - v86_message
        cld
        cs rep outsb                ; CS:SI, the message forwards
        mov si, v86_message_end - v86_blob - 2
        mov cx, v86_message_end - v86_message - 1
        std
        cs rep outsb                ; backwards, without its newline
        cld
        mov al, 10
        out dx, al
        mov dx, TESTDEV
        mov eax, 0x44332211
        out dx, eax                 ; the scratch register
        mov di, 0x10
        mov cx, 4
        rep insw                    ; 2211 four times at ES:0010
        insd                        ; 44332211 at ES:0018
        mov dx, TESTDEV + 2
        insb                        ; 33 at ES:001C
        mov dx, TESTDEV
        mov di, 0xFFFE
        mov cx, 3
        rep insb                    ; ES:FFFE, ES:FFFF, then DI wraps to ES:0000
        hlt

v86_limit:
        mov byte [es:0xFFFF], 0x77
        mov dx, TESTDEV
        mov di, 0xFFFC
        insw                        ; ES:FFFC-FFFD
        insb                        ; ES:FFFE
        insw                        ; ES:FFFF-10000: past the limit, #GP(0) with DI at FFFF
        hlt

v86_denied:
        mov dx, 0x80
        mov si, 0
        mov cx, 2
        rep outsb                   ; port 0x80 is denied: #GP(0), CX and SI unchanged
        hlt

v86_denied_pair:
        mov dx, 0xE7
        mov di, 0x100
        insw                        ; 0xE7 allowed, 0xE8 denied: #GP(0)
        hlt

v86_iopl3:
        mov dx, 0x3F8
        mov si, v86_message - v86_blob
        mov cx, 5
        cs rep outsb                ; allowed: prints "strin"
        mov al, 10
        out dx, al
        mov dx, 0x80
        mov cx, 1
        cs outsb                    ; denied at IOPL 3 too: #GP(0)
        hlt

v86_message:
        db "strings through ports", 10
v86_message_end:
        bits 32
v86_blob_end:
        __SECT__

        [section .bss]
        alignb 16
monitor_esp:    resd 1
        __SECT__
