; task_switch: hardware task switching with 32-bit TSSs (Intel SDM Vol. 3 ch. 7): CALL and JMP to a TSS and through
; a task gate, nesting (back link, NT, busy bits) and IRET returning along the links, the checks before the commit
; point (#GP for a busy TSS, #NP, #TS for a short limit) raised in the old task, a #TS after it delivered through a
; task gate with the faulting task as its back link, and a double fault through a task gate.
%include "common.inc"

SEL_T1          equ 0x60            ; task 1 (CALLs task 2 through the gate)
SEL_T2          equ 0x68            ; task 2
SEL_GATE2       equ 0x70            ; task gate -> task 2
SEL_T3          equ 0x78            ; task 3: DS out of the GDT (a #TS after the commit point)
SEL_TS_TASK     equ 0x80            ; the #TS handler task
SEL_DF_TASK     equ 0x88            ; the #DF handler task
SEL_NP_TSS      equ 0x90            ; a TSS descriptor that is not present
SEL_SHORT_TSS   equ 0x98            ; a TSS whose limit is 0x60 (< 0x67)
BIG_ENTRIES     equ 20
TSS_BYTES       equ 0x68

; SHOW: TR, this task's back link, NT, and the busy bits of main's TSS, task 1 and task 2.
%macro SHOW 0
        call show_state
%endmacro

main:
        PRINT "task_switch", 10
        ; a GDT with room for the tasks: common's twelve entries, then ours
        mov esi, gdt
        mov edi, big_gdt
        mov ecx, 12 * 2
        rep movsd
        lgdt [big_gdt_ptr]

        mov edi, tss1
        mov eax, task1
        mov ebx, stack1_top
        mov edx, SEL_T1
        call make_task
        mov edi, tss2
        mov eax, task2
        mov ebx, stack2_top
        mov edx, SEL_T2
        call make_task
        mov edi, tss3
        mov eax, task3
        mov ebx, stack3_top
        mov edx, SEL_T3
        call make_task
        mov dword [tss3 + 0x54], 0x1230     ; DS: past the GDT limit
        mov edi, tss_ts
        mov eax, ts_task
        mov ebx, stack_ts_top
        mov edx, SEL_TS_TASK
        call make_task
        mov edi, tss_df
        mov eax, df_task
        mov ebx, stack_df_top
        mov edx, SEL_DF_TASK
        call make_task
        ; task gate (type 5, DPL 0) to task 2
        mov dword [big_gdt + SEL_GATE2], SEL_T2 << 16
        mov dword [big_gdt + SEL_GATE2 + 4], 0x8500
        ; a not-present TSS and a short one (both available, both for tss2's memory)
        mov edi, big_gdt + SEL_NP_TSS
        mov eax, tss2
        mov ecx, TSS_BYTES - 1
        mov dl, 0x09
        call set_sys_desc
        mov edi, big_gdt + SEL_SHORT_TSS
        mov eax, tss2
        mov ecx, 0x60
        mov dl, 0x89
        call set_sys_desc

        PRINT "main: "
        SHOW
        ; ---- CALL to a TSS: task 1 runs nested, CALLs task 2 through a gate, both return with IRET ----
        mov eax, 0x11111111
        call SEL_T1:0
        PRINT "main after call: eax="
        H8 eax
        PRINT " "
        SHOW
        PRINT "task1 saved eip is after its iret: "
        mov eax, [tss1 + 0x20]
        sub eax, task1.after_iret
        H8 eax
        NL
        ; ---- CALL task 1 again: it resumes after its IRET ----
        call SEL_T1:0
        PRINT "main after 2nd call: "
        SHOW

        ; ---- JMP to a TSS: no nesting; task 2 JMPs back to main's TSS ----
        mov dword [tss2 + 0x20], task2_jmp
        jmp SEL_T2:0
main_after_jmp:
        PRINT "main after jmp: "
        SHOW

        ; ---- the checks before the commit point: faults in the old task ----
        PRINT "call busy TSS: "
        TRY
        call SEL_TSS:0
        ENDTRY
        PRINT "jmp busy TSS: "
        TRY
        jmp SEL_TSS:0
        ENDTRY
        PRINT "call not-present TSS: "
        TRY
        call SEL_NP_TSS:0
        ENDTRY
        PRINT "call short TSS: "
        TRY
        call SEL_SHORT_TSS:0
        ENDTRY
        PRINT "call TSS with RPL 3 > DPL: "
        TRY
        call (SEL_T1 | 3):0
        ENDTRY
        PRINT "iret with NT, link = main: "
        mov dword [tss + 0], SEL_T1         ; main's back link names task 1, which is not busy
        pushfd
        or dword [esp], 0x4000
        popfd
        TRY
        iretd
        ENDTRY
        pushfd
        and dword [esp], ~0x4000
        popfd
        mov dword [tss + 0], 0
        PRINT "after the failed checks: "
        SHOW

        ; ---- a #TS after the commit point: raised in task 3, delivered through a task gate ----
        mov eax, 10
        mov edx, SEL_TS_TASK << 16
        call set_task_gate
        call SEL_T3:0
        PRINT "main after task 3: "
        SHOW

        ; ---- #DF through a task gate: #DE whose gate is not present ----
        mov eax, 8
        mov edx, SEL_DF_TASK << 16
        call set_task_gate
        and byte [idt + 0 * 8 + 5], 0x7F
        xor ecx, ecx
        mov eax, 1
        xor edx, edx
df_point:
        div ecx                             ; 2 bytes; the #DF task skips it
        or byte [idt + 0 * 8 + 5], 0x80
        PRINT "main after #DF task: eax="
        H8 eax
        PRINT " "
        SHOW
        ret

; ---- the tasks -------------------------------------------------------------
task1:
        PRINT "task1: eax="
        H8 eax
        PRINT " "
        SHOW
        call SEL_GATE2:0xF4F4F4F4           ; the offset is ignored
        PRINT "task1 after task2: "
        SHOW
        mov eax, 0x22222222
        iretd
.after_iret:
        PRINT "task1 resumed after its iret: "
        SHOW
        iretd
        jmp task1

task2:
        PRINT "task2: "
        SHOW
        iretd
        jmp task2

task2_jmp:
        PRINT "task2 by jmp: "
        SHOW
        mov dword [tss + 0x20], main_after_jmp
        jmp SEL_TSS:0

task3:
        PRINT "task3 runs after its #TS: ds="
        mov eax, ds
        H4 eax
        PRINT " "
        SHOW
        iretd
        jmp task3

ts_task:
        pop eax                             ; the error code, on this task's stack
        PRINT "ts task: err="
        H8 eax
        PRINT " task3 eip is its first: "
        mov eax, [tss3 + 0x20]
        sub eax, task3
        H8 eax
        PRINT " "
        SHOW
        mov dword [tss3 + 0x54], SEL_KDATA  ; repair task 3's DS, then return to it
        iretd
        jmp ts_task

df_task:
        pop eax
        PRINT "df task: err="
        H8 eax
        PRINT " main eip at the div: "
        mov eax, [tss + 0x20]
        sub eax, df_point
        H8 eax
        PRINT " "
        SHOW
        add dword [tss + 0x20], 2
        mov dword [tss + 0x28], 0xDFDFDFDF  ; main's EAX when it resumes
        iretd
        jmp df_task

; ---- helpers ---------------------------------------------------------------
; make_task: edi = TSS, eax = EIP, ebx = ESP, edx = selector of its descriptor
make_task:
        pushad
        push eax
        push edi
        xor eax, eax
        mov ecx, TSS_BYTES / 4
        rep stosd
        pop edi
        pop eax
        mov [edi + 0x20], eax               ; EIP
        mov dword [edi + 0x24], 2           ; EFLAGS
        mov [edi + 0x38], ebx               ; ESP
        mov dword [edi + 0x4C], SEL_KCODE
        mov dword [edi + 0x48], SEL_KDATA
        mov dword [edi + 0x50], SEL_KDATA
        mov dword [edi + 0x54], SEL_KDATA
        mov dword [edi + 0x58], SEL_KDATA
        mov dword [edi + 0x5C], SEL_KDATA
        mov word [edi + 0x66], TSS_BYTES    ; no I/O bitmap
        mov eax, cr3
        mov [edi + 0x1C], eax
        mov eax, edi
        lea edi, [big_gdt + edx]
        mov ecx, TSS_BYTES - 1
        mov dl, 0x89
        call set_sys_desc
        popad
        ret

; set_task_gate: eax = vector, edx = TSS selector << 16
set_task_gate:
        mov [idt + eax * 8], edx
        mov dword [idt + eax * 8 + 4], 0x8500
        ret

show_state:
        push eax
        push ebx
        pushfd
        PRINT "TR="
        str eax
        H4 eax
        PRINT " link="
        movzx eax, ax
        mov ebx, [big_gdt + eax + 2]        ; base 15:0 and 23:16
        and ebx, 0x00FFFFFF
        movzx ebx, word [ebx]
        H4 ebx
        PRINT " NT="
        mov eax, [esp]
        shr eax, 14
        and eax, 1
        DEC eax
        PRINT " busy="
        movzx eax, byte [big_gdt + SEL_TSS + 5]
        shr eax, 1
        and eax, 1
        DEC eax
        movzx eax, byte [big_gdt + SEL_T1 + 5]
        shr eax, 1
        and eax, 1
        DEC eax
        movzx eax, byte [big_gdt + SEL_T2 + 5]
        shr eax, 1
        and eax, 1
        DEC eax
        NL
        popfd
        pop ebx
        pop eax
        ret

section .data
        align 4
        dw 0
big_gdt_ptr:
        dw BIG_ENTRIES * 8 - 1
        dd big_gdt

section .bss
        alignb 8
big_gdt:        resb BIG_ENTRIES * 8
tss1:           resb TSS_BYTES
tss2:           resb TSS_BYTES
tss3:           resb TSS_BYTES
tss_ts:         resb TSS_BYTES
tss_df:         resb TSS_BYTES
stack1:         resb 4096
stack1_top:
stack2:         resb 4096
stack2_top:
stack3:         resb 4096
stack3_top:
stack_ts:       resb 4096
stack_ts_top:
stack_df:       resb 4096
stack_df_top:
