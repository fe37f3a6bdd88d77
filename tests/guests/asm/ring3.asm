; ring3: enter ring 3 by IRET, INT 0x80 syscalls through a DPL 3 trap gate,
; stack switch to TSS.ESP0/SS0, segment nulling on IRET to ring 3.
%include "common.inc"

SYS_PUTS  equ 1             ; ebx = string
SYS_HEX   equ 2             ; ebx = value
SYS_FRAME equ 3             ; print what the handler sees
SYS_TWICE equ 4             ; returns ebx * 2 in eax
SYS_CHARS equ 5             ; ebx, ecx, edx = up to 12 packed chars

; USTR 'text' -- ring 3: print a string with SYS_PUTS
%macro USTR 1+
        [section .data]
  %%s:  db %1, 0
        __SECT__
        mov eax, SYS_PUTS
        mov ebx, %%s
        int 0x80
%endmacro
; UHEX value -- ring 3: print value with SYS_HEX (value must not be eax)
%macro UHEX 1
        mov ebx, %1
        mov eax, SYS_HEX
        int 0x80
%endmacro

main:
        PRINT "ring3", 10
        mov eax, 0x80
        mov edx, syscall_handler
        mov cl, GATE_TRAP3
        call idt_set
        mov eax, 0x85
        mov edx, syscall_handler
        mov cl, GATE_INT3
        call idt_set
        PRINT "tss esp0=kstack_top:"
        cmp dword [tss + 4], kstack_top
        call yesno
        PRINT " ss0="
        H4 [tss + 8]
        NL
        mov [kernel_esp_before], esp
        mov eax, user_main
        mov ecx, 0x202                      ; IF=1 (PIC masked), IOPL 0
        call ring3_call
        PRINT "back in ring 0: cs="
        mov eax, cs
        H4 eax
        PRINT " ss="
        mov eax, ss
        H4 eax
        PRINT " esp restored:"
        cmp esp, [kernel_esp_before]
        call yesno
        NL

        ; IRET to ring 3 with ring 0 selectors in DS/ES/FS/GS nulls them
        mov ax, SEL_KDATA
        mov ds, ax
        mov es, ax
        mov fs, ax
        xor ax, ax
        mov gs, ax
        mov eax, user_segs
        mov ecx, 0x002
        call ring3_call_raw
        PRINT "done", 10
        ret

yesno:
        jne .no
        PRINT "yes"
        ret
.no:    PRINT "no"
        ret

; ---------------------------------------------------------------- ring 3 --
user_main:
        USTR "ring 3: cs="
        mov ecx, cs
        UHEX ecx
        USTR " ss="
        mov ecx, ss
        UHEX ecx
        USTR " ds="
        mov ecx, ds
        UHEX ecx
        USTR " cpl="
        mov ecx, cs
        and ecx, 3
        UHEX ecx
        USTR 10
        ; a string passed in registers
        mov eax, SYS_CHARS
        mov ebx, 'regs'
        mov ecx, ' ok!'
        mov edx, `\n\0\0\0`
        int 0x80
        ; return value in eax
        mov eax, SYS_TWICE
        mov ebx, 0x12345678
        int 0x80
        mov esi, eax
        USTR "twice(12345678)="
        UHEX esi
        USTR 10
        ; what the handler sees, via the trap gate and an interrupt gate
        push dword 0xAAAA5555               ; 4 bytes on the user stack
        mov eax, SYS_FRAME
        int 0x80
        mov eax, SYS_FRAME
        int 0x85
        pop ecx
        USTR "segments after syscalls: ds="
        mov ecx, ds
        UHEX ecx
        USTR " es="
        mov ecx, es
        UHEX ecx
        USTR " user esp ok:"
        mov ecx, 0
        cmp esp, user_stack_top
        sete cl
        UHEX ecx
        USTR 10
        RING3_EXIT

user_segs:
        mov eax, ds                 ; save before touching memory
        mov ebx, es
        mov ecx, fs
        mov edx, gs
        mov esi, ss
        mov ds, si                  ; make memory usable again
        mov es, si
        mov [seg_buf], eax
        mov [seg_buf + 4], ebx
        mov [seg_buf + 8], ecx
        mov [seg_buf + 12], edx
        USTR "iret to ring 3 with ring 0 selectors: ds="
        UHEX [seg_buf]
        USTR " es="
        UHEX [seg_buf + 4]
        USTR " fs="
        UHEX [seg_buf + 8]
        USTR " gs="
        UHEX [seg_buf + 12]
        USTR 10
        RING3_EXIT

; ---------------------------------------------------------------- kernel --
syscall_handler:
        mov [ss:entry_esp], esp
        push ds
        push es
        pushad
        mov bp, SEL_KDATA
        mov ds, bp
        mov es, bp
        cmp eax, SYS_PUTS
        jne .1
        mov esi, ebx
        call puts
        jmp .done
.1:     cmp eax, SYS_HEX
        jne .2
        H8 ebx
        jmp .done
.2:     cmp eax, SYS_TWICE
        jne .3
        lea eax, [ebx * 2]
        mov [esp + 28], eax         ; saved EAX of pushad
        jmp .done
.3:     cmp eax, SYS_CHARS
        jne .4
        mov [char_buf], ebx
        mov [char_buf + 4], ecx
        mov [char_buf + 8], edx
        mov esi, char_buf
        call puts
        jmp .done
.4:     cmp eax, SYS_FRAME
        jne .bad
        mov ebx, [entry_esp]
        PRINT "handler: cs="
        mov eax, cs
        H4 eax
        PRINT " ss="
        mov eax, ss
        H4 eax
        PRINT " esp0-esp="
        mov eax, [tss + 4]
        sub eax, ebx
        H2 eax
        PRINT " IF="
        pushfd
        pop eax
        shr eax, 9
        and eax, 1
        H2 eax
        PRINT " frame: cs="
        H4 [ebx + 4]
        PRINT " eflags="
        H8 [ebx + 8]
        PRINT " user_stack_top-esp="
        mov eax, user_stack_top
        sub eax, [ebx + 12]
        H2 eax
        PRINT " ss="
        H4 [ebx + 16]
        NL
        jmp .done
.bad:   PRINT "bad syscall", 10
.done:  popad
        pop es
        pop ds
        iretd

section .data
        align 4
kernel_esp_before: dd 0
entry_esp:      dd 0
char_buf:       times 4 dd 0
seg_buf:        times 4 dd 0
