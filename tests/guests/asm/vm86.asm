; vm86: virtual-8086 mode (Intel SDM Vol. 3 ch. 20) as a small v86 monitor uses it. The monitor enters v86 mode by
; IRET from CPL 0 and runs 8086 code that addresses memory through segments (base = selector * 16, 16-bit offsets
; that wrap at 64 KiB), prints through COM1 ports the TSS's I/O bitmap allows, and hits the IOPL-sensitive
; instructions: with IOPL 0 they raise #GP(0) to the monitor (no CR4.VME), which prints what it sees and emulates
; them; with IOPL 3 INT n goes straight through the IDT to a ring-0 handler, PUSHF/POPF/CLI/STI/IRET work in v86
; mode, and POPF cannot change IOPL. Every event from v86 mode shows the frame the processor pushed (GS FS DS ES
; SS ESP EFLAGS CS EIP) and that DS was null on entry. HLT (privileged) ends each session. Then a task switch into
; a v86 task (JMP to a TSS whose EFLAGS image has VM set) whose UD2 comes back through a task gate, as
; kvm-unit-tests' taskswitch2 does it.
%include "common.inc"

V86_CODE        equ 0x2000          ; v86 code segment: the blob is copied to 0x20000
V86_DATA        equ 0x2100          ; DS and ES: linear 0x21000
V86_EXTRA       equ 0x2200          ; linear 0x22000
V86_STACK       equ 0x2300          ; SS: SP starts at 0xFFF0, linear 0x32FF0
SEL_V86_TSS     equ SEL_SPARE
FLAGS_VM        equ 0x20002
FLAGS_VM_IOPL3  equ 0x23002

main:
        PRINT "vm86", 10
        ; the I/O bitmap: COM1's eight ports (0x3F8-0x3FF) allowed, every other port denied
        mov word [tss + 102], TSS_IOMAP_OFF
        mov byte [tss + TSS_IOMAP_OFF + (0x3F8 >> 3)], 0
        mov eax, 13
        mov edx, gp_monitor
        mov cl, GATE_INT0
        call idt_set
        mov eax, 6
        mov edx, ud_monitor
        call idt_set
        mov eax, 3
        mov edx, int_handler
        mov cl, GATE_INT3
        call idt_set
        mov eax, 0x30
        call idt_set
        mov esi, v86_blob
        mov edi, V86_CODE << 4
        mov ecx, v86_blob_end - v86_blob
        rep movsb

        PRINT "-- IOPL 0", 10
        mov eax, FLAGS_VM
        mov ebx, v86_iopl0 - v86_blob
        call enter_v86
        PRINT "back in protected mode: [2100:0010]="
        movzx eax, word [(V86_DATA << 4) + 0x10]
        H4 eax
        PRINT " [2200:0020]="
        movzx eax, byte [(V86_EXTRA << 4) + 0x20]
        H2 eax
        PRINT " [2100:0001]="
        movzx eax, byte [(V86_DATA << 4) + 1]
        H2 eax
        PRINT " ax after int 30h="
        movzx eax, word [(V86_DATA << 4) + 0x12]
        H4 eax
        NL

        PRINT "-- IOPL 3", 10
        mov eax, FLAGS_VM_IOPL3
        mov ebx, v86_iopl3 - v86_blob
        call enter_v86
        PRINT "back in protected mode: flags after popf="
        movzx eax, word [(V86_DATA << 4) + 0x20]
        H4 eax
        PRINT " far cs="
        movzx eax, word [(V86_DATA << 4) + 0x30]
        H4 eax
        PRINT " after iret ax="
        movzx eax, word [(V86_DATA << 4) + 0x32]
        H4 eax
        PRINT " copy="
        mov esi, (V86_EXTRA << 4) + 0x40
        call puts
        NL

        PRINT " eax via 32-bit push/pop="
        H8 [(V86_DATA << 4) + 0x34]
        PRINT " near call="
        movzx eax, word [(V86_DATA << 4) + 0x38]
        H4 eax
        PRINT " ax after popa="
        movzx eax, word [(V86_DATA << 4) + 0x3A]
        H4 eax
        NL

        PRINT "-- IRQ", 10
        mov eax, 0x20
        mov edx, irq_monitor
        mov cl, GATE_INT0
        call idt_set
        mov al, 0x34                ; PIT channel 0, rate generator
        out 0x43, al
        mov al, 0x00
        out 0x40, al
        mov al, 0x10
        out 0x40, al                ; 0x1000 ticks
        mov al, 0xFE                ; only IRQ0
        out 0x21, al
        mov eax, FLAGS_VM | 0x200   ; IF set, IOPL 0
        mov ebx, v86_wait - v86_blob
        call enter_v86

        PRINT "-- task switch", 10
        call v86_task_switch
        PRINT "done", 10
        ret

%include "v86_enter.inc"

; leave_v86: a handler (at ring 0, on the TSS's ring-0 stack) ends the session.
leave_v86:
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        mov gs, ax
        mov esp, [monitor_esp]
        popad
        ret

; print_frame: ebp = the v86 frame's EIP slot; prints CS:IP, EFLAGS and the pushed SS:ESP, ES, DS, FS, GS.
print_frame:
        PRINT " at "
        H4 [ebp + 4]
        PRINT ":"
        H4 [ebp]
        PRINT " eflags="
        H8 [ebp + 8]
        PRINT " ss:sp="
        H4 [ebp + 16]
        PRINT ":"
        H4 [ebp + 12]
        PRINT " es="
        H4 [ebp + 20]
        PRINT " ds="
        H4 [ebp + 24]
        PRINT " fs="
        H4 [ebp + 28]
        PRINT " gs="
        H4 [ebp + 32]
        PRINT " ds on entry="
        H4 [entry_ds]
        ret

; Saves the DS the processor left (null after an event from v86 mode) and loads the kernel's data segments.
%macro MONITOR_ENTRY 0
        push eax
        mov eax, ds
        push eax
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        pop dword [entry_ds]
        pop eax
%endmacro

; #GP from v86 mode: print it, then emulate the instruction (the monitor's job) or end the session at HLT.
gp_monitor:
        MONITOR_ENTRY
        pushad
        lea ebp, [esp + 36]         ; the EIP slot (after pushad and the error code)
        PRINT "#GP("
        H4 [ebp - 4]
        PRINT ")"
        call print_frame
        movzx eax, word [ebp + 4]   ; the opcode at CS:IP
        shl eax, 4
        add eax, [ebp]
        movzx ebx, byte [eax]
        PRINT " opcode="
        H2 ebx
        NL
        cmp bl, 0xF4
        je leave_v86
        mov ecx, 3                  ; MOV AX, [moffs16]: three bytes
        cmp bl, 0xA1
        je .skip
        mov ecx, 2                  ; OUT imm8 and INT n: two bytes
        cmp bl, 0xCD
        jne .len
        mov word [esp + 28], 0x3030 ; INT 30h emulated: the v86 caller's AX (pushad's EAX slot)
.len:   cmp bl, 0xE6
        je .skip
        cmp bl, 0xCD
        je .skip
        mov ecx, 1                  ; CLI, STI, PUSHF, POPF, IRET, OUT DX: one byte
.skip:  add [ebp], ecx
        popad
        add esp, 4                  ; the error code
        iretd

; The timer's IRQ 0 while v86 code waits: an external interrupt from v86 mode ends the session.
irq_monitor:
        MONITOR_ENTRY
        mov ebp, esp
        mov al, 0xFF
        out 0x21, al
        mov al, 0x20
        out 0x20, al
        PRINT "IRQ0"
        call print_frame
        NL
        jmp leave_v86

; #UD from v86 mode ends the session.
ud_monitor:
        MONITOR_ENTRY
        mov ebp, esp
        PRINT "#UD"
        call print_frame
        NL
        jmp leave_v86

; INT3 and INT 30h from v86 mode through DPL-3 gates: show the frame and return to v86 mode.
int_handler:
        MONITOR_ENTRY
        pushad
        lea ebp, [esp + 32]
        PRINT "INT from v86"
        call print_frame
        NL
        popad
        iretd

; ---- a task switch into a v86 task --------------------------------------------------------------------------
v86_task_switch:
        mov edi, v86_tss
        xor eax, eax
        mov ecx, 0x68 / 4
        rep stosd
        mov dword [v86_tss + 0x20], v86_task - v86_blob     ; EIP
        mov dword [v86_tss + 0x24], FLAGS_VM                ; EFLAGS: VM, IOPL 0
        mov dword [v86_tss + 0x28], 0x1111                  ; EAX
        mov dword [v86_tss + 0x38], 0x0100                  ; ESP
        mov dword [v86_tss + 0x48], 0x2345                  ; ES
        mov dword [v86_tss + 0x4C], V86_CODE                ; CS
        mov dword [v86_tss + 0x50], V86_STACK               ; SS
        mov dword [v86_tss + 0x54], 0x1234                  ; DS
        mov word [v86_tss + 0x66], 0x68                     ; no I/O bitmap
        mov edi, gdt + SEL_V86_TSS
        mov eax, v86_tss
        mov ecx, 0x67
        mov dl, 0x89
        call set_sys_desc
        mov dword [idt + 6 * 8], SEL_TSS << 16             ; #UD: a task gate to this (the main) task
        mov dword [idt + 6 * 8 + 4], 0x8500
        jmp SEL_V86_TSS:0
        ; back through the #UD task gate: nested, NT set, the v86 task is our back link
        pushfd
        pop eax
        PRINT "main resumed: nt="
        shr eax, 14
        and eax, 1
        H2 eax
        PRINT " back link="
        movzx eax, word [tss]
        H4 eax
        PRINT " v86 task: eip="
        H8 [v86_tss + 0x20]
        PRINT " eflags="
        H8 [v86_tss + 0x24]
        PRINT " eax="
        H8 [v86_tss + 0x28]
        PRINT " esp="
        H8 [v86_tss + 0x38]
        NL
        PRINT " es="
        H4 [v86_tss + 0x48]
        PRINT " cs="
        H4 [v86_tss + 0x4C]
        PRINT " ss="
        H4 [v86_tss + 0x50]
        PRINT " ds="
        H4 [v86_tss + 0x54]
        PRINT " [1234:0002]="
        movzx eax, word [(0x1234 << 4) + 2]
        H4 eax
        NL
        pushfd
        and dword [esp], ~0x4000    ; leave the nesting
        popfd
        ret

; ---- the 8086 code (copied to V86_CODE:0000) -----------------------------------------------------------------
        [section .data]
        align 16
v86_blob:
        bits 16
v86_iopl0:
        mov word [0x0010], 0xBEEF   ; DS=2100: linear 0x21010
        mov di, 0x20
        mov al, 'Q'
        stosb                       ; ES:DI = linear 0x22020
        mov bx, 0xFFFF
        mov byte [bx + 2], 0x5A     ; the offset wraps at 64 KiB: DS:0001
        mov dx, 0x3F8
        mov al, 'v'
        out dx, al                  ; allowed by the bitmap
        mov al, '8'
        out dx, al
        mov al, '6'
        out dx, al
        mov al, 10
        out dx, al
        out 0x80, al                ; denied by the bitmap: #GP(0)
        mov dx, 0x3FF
        out dx, ax                  ; 0x3FF allowed, 0x400 denied: #GP(0)
        cli                         ; IOPL 0: #GP(0)
        mov ax, 0x1234
        int 0x30                    ; IOPL 0: #GP(0), the monitor emulates it (AX = 3030)
        mov [0x12], ax
        pushf                       ; #GP(0)
        int3                        ; not IOPL-sensitive: through the IDT
        mov ax, [0xFFFF]            ; a word at offset 0xFFFF passes the 64 KiB limit: #GP(0)
        hlt                         ; privileged: #GP(0), ends the session

v86_iopl3:
        int 0x30                    ; straight to the ring-0 handler
        cli
        sti
        push word 0x0000
        popf                        ; IOPL stays 3, IF clears
        pushf
        pop word [0x20]
        sti
        call V86_CODE + 0x10:v86_far - v86_blob - 0x100
        pushf
        push cs
        push word .resume - v86_blob
        mov ax, 0x5555
        iret                        ; an 8086 return within v86 mode
.resume:
        mov [0x32], ax
        mov si, v86_message - v86_blob
        push cs
        pop ds                      ; DS = CS for the source
        mov di, 0x40
        mov cx, v86_message_end - v86_message
        rep movsb
        mov ax, V86_DATA
        mov ds, ax
        mov eax, 0x12345678         ; 32-bit operands (0x66 prefix)
        push eax
        pop ebx
        mov [0x34], ebx
        call .near
        mov ax, 0xABCD
        pusha
        xor ax, ax
        popa
        mov [0x3A], ax
        int3
        hlt
.near:
        mov word [0x38], 0x7777
        ret

v86_wait:
        jmp v86_wait                ; until the timer interrupts

        times 0x100 - ($ - v86_blob) db 0x90
v86_far:                            ; at V86_CODE+0x10:0000
        mov [0x30], cs
        retf

v86_task:
        mov bx, 2
        mov word [bx], 0x4321       ; DS=1234 from the TSS: linear 0x12342
        ud2                         ; #UD through the task gate back to the main task

v86_message:
        db "segments", 0
v86_message_end:
        bits 32
v86_blob_end:
        __SECT__

        [section .bss]
        alignb 16
v86_tss:        resb 0x68
monitor_esp:    resd 1
entry_ds:       resd 1
        __SECT__
