; pv_guest: a PV guest written from docs/paravirt-abi.md alone (constants from pv.inc).
;   translator run tests/guests/build/pv_guest.bin --backend pv
; prints pv_guest.expected.txt and exits with code 1 (V = 0 written to port 0xF4 through physdev_op);
; a failed check prints "FAIL ..." and exits with code 3 (V = 1).
;
; What it does: console_io banner and xen_version; a trap table (#PF, #GP, INT 0x80 from ring 3 as a fast
; system-call gate) and an event callback; VIRQ_TIMER bound, unmasked, a periodic timer, sched_op(block) until three
; timer events were counted; a new L1 made read-only with update_va_mapping, pinned, hooked into the directory with
; mmu_update, and read and written through; a plain store to that L1 (#PF, error code 3, CR2 = its address);
; refused requests (a frame beyond nr_pages, a writable mapping of a page table, an unknown hypercall, a buffer
; outside guest memory); a ring-3 task entered with HYPERVISOR_iret that prints through INT 0x80, is refused a
; hypercall (#GP 0x412) and exits; the exit code through physdev_op.
%include "pv.inc"

TIMER_PERIOD_NS equ 100000              ; 100 us
NEW_VA          equ 0x40000000          ; directory entry 256: not mapped at boot
PATTERN         equ 0x600DF00D

SYS_WRITE       equ 1                   ; ring 3: ecx = buffer, edx = length -> eax = console_io result
SYS_EXIT        equ 2                   ; ring 3: back to the kernel, never returns

; PRINT 'text', 10 ...   kernel: one console_io of the bytes (registers and flags preserved)
%macro PRINT 1+
        jmp %%after
  %%s:  db %1
  %%len equ $ - %%s
  %%after:
        pushfd
        pushad
        mov ebx, CONSOLEIO_WRITE
        mov ecx, %%len
        mov edx, %%s
        HYPERCALL HC_CONSOLE_IO
        popad
        popfd
%endmacro

; UPRINT 'text', 10 ...  ring 3: the same through the write system call
%macro UPRINT 1+
        jmp %%after
  %%s:  db %1
  %%len equ $ - %%s
  %%after:
        mov eax, SYS_WRITE
        mov ecx, %%s
        mov edx, %%len
        int 0x80
%endmacro

; EXPECT value, 'what'    fail unless EAX == value
%macro EXPECT 2
        cmp eax, %1
        je %%ok
        PRINT "FAIL: ", %2, " returned "
        call print_int
        PRINT 10
        jmp fail
  %%ok:
%endmacro

        PV_IMAGE_HEADER start

; =============================================================== ring 1 ===
start:
        cld
        mov [start_info], esi
        mov eax, [esi + SI_SHARED_INFO]
        mov [shared_info], eax
        mov [boot_esp], esp
        PRINT "pv_guest: ring 1, start_info magic "
        mov ebx, CONSOLEIO_WRITE
        mov ecx, 22                         ; "translator-pv-1-x86_32"
        lea edx, [esi + SI_MAGIC]
        HYPERCALL HC_CONSOLE_IO
        PRINT 10

        mov eax, cs
        and eax, 3
        EXPECT 1, "CPL"
        mov ebx, XENVER_VERSION
        xor ecx, ecx
        HYPERCALL HC_XEN_VERSION
        PRINT "xen_version: "
        call print_hex
        PRINT 10

        ; ---- traps, callback, ring-1 stack ----
        mov ebx, trap_table
        HYPERCALL HC_SET_TRAP_TABLE
        EXPECT 0, "set_trap_table"
        mov ebx, FLAT_RING1_CS
        mov ecx, event_callback
        mov edx, FLAT_RING1_CS
        mov esi, failsafe_callback
        HYPERCALL HC_SET_CALLBACKS
        EXPECT 0, "set_callbacks"
        mov ebx, FLAT_RING1_DS
        mov ecx, kstack_top
        HYPERCALL HC_STACK_SWITCH
        EXPECT 0, "stack_switch"
        PRINT "trap table, event callback and ring-1 stack installed", 10

        ; ---- timer events ----
        mov dword [bind + BIND_VIRQ_VIRQ], VIRQ_TIMER
        mov dword [bind + BIND_VIRQ_VCPU], 0
        mov ebx, EVTCHNOP_BIND_VIRQ
        mov ecx, bind
        HYPERCALL HC_EVENT_CHANNEL_OP
        EXPECT 0, "bind_virq"
        mov eax, [bind + BIND_VIRQ_PORT]
        mov [timer_port], eax
        PRINT "VIRQ_TIMER bound to port "
        call print_int
        PRINT 10
        mov ebx, EVTCHNOP_BIND_VIRQ         ; a second bind of the same VIRQ is refused
        mov ecx, bind
        HYPERCALL HC_EVENT_CHANNEL_OP
        PRINT "binding it again: "
        call print_int
        PRINT 10
        mov eax, [timer_port]
        mov [port_arg], eax
        mov ebx, EVTCHNOP_UNMASK
        mov ecx, port_arg
        HYPERCALL HC_EVENT_CHANNEL_OP
        EXPECT 0, "unmask"
        mov dword [period], 5000            ; below the 10 us minimum
        mov dword [period + 4], 0
        mov ebx, VCPUOP_SET_PERIODIC_TIMER
        xor ecx, ecx
        mov edx, period
        HYPERCALL HC_VCPU_OP
        PRINT "periodic timer of 5 us: "
        call print_int
        PRINT 10
        mov dword [period], TIMER_PERIOD_NS
        mov ebx, VCPUOP_SET_PERIODIC_TIMER
        xor ecx, ecx
        mov edx, period
        HYPERCALL HC_VCPU_OP
        EXPECT 0, "set_periodic_timer"
.wait:  cmp dword [ticks], 3
        jae .counted
        mov ebx, SCHEDOP_BLOCK
        xor ecx, ecx
        HYPERCALL HC_SCHED_OP
        EXPECT 0, "sched_op(block)"
        jmp .wait
.counted:
        mov eax, [ticks]
        mov [ticks_seen], eax
        mov ebx, VCPUOP_STOP_PERIODIC_TIMER
        xor ecx, ecx
        xor edx, edx
        HYPERCALL HC_VCPU_OP
        EXPECT 0, "stop_periodic_timer"
        mov ebx, [shared_info]
        mov byte [ebx + SH_UPCALL_MASK], 1  ; "cli"
        PRINT "timer events counted: "
        mov eax, [ticks_seen]
        call print_int
        PRINT 10

        ; ---- a new page table ----
        mov esi, [start_info]
        mov eax, [esi + SI_FIRST_FREE_PFN]
        mov [l1_frame], eax
        inc eax
        mov [data_frame], eax
        mov edi, [l1_frame]                 ; zero the new L1 while it is still writable
        shl edi, 12
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov edi, [data_frame]
        shl edi, 12
        mov dword [edi], PATTERN
        mov dword [edi + 0x10], 0
        mov eax, [data_frame]               ; L1[0] -> data frame, writable; L1[1] -> data frame, read-only
        shl eax, 12
        mov edi, [l1_frame]
        shl edi, 12
        lea edx, [eax + PTE_P + PTE_RW + PTE_U]
        mov [edi], edx
        lea edx, [eax + PTE_P + PTE_U]
        mov [edi + 4], edx
        mov ebx, [l1_frame]                 ; make it read-only in the boot mapping
        shl ebx, 12
        lea ecx, [ebx + PTE_P + PTE_U]
        mov edx, UVMF_INVLPG
        HYPERCALL HC_UPDATE_VA_MAPPING
        EXPECT 0, "update_va_mapping (L1 read-only)"
        mov dword [mmuext + MMUEXT_CMD], MMUEXT_PIN_L1_TABLE
        mov eax, [l1_frame]
        mov [mmuext + MMUEXT_ARG1], eax
        mov dword [mmuext + MMUEXT_ARG2], 0
        mov ebx, mmuext
        mov ecx, 1
        mov edx, done
        mov esi, DOMID_SELF
        HYPERCALL HC_MMUEXT_OP
        EXPECT 0, "mmuext_op(pin L1)"
        mov esi, [start_info]               ; directory entry for NEW_VA -> the new L1
        mov eax, [esi + SI_PT_BASE]
        add eax, (NEW_VA >> 22) * 4
        mov [mmu_req + MMU_PTR], eax        ; command 0 in bits 0-1
        mov dword [mmu_req + MMU_PTR + 4], 0
        mov eax, [l1_frame]
        shl eax, 12
        or eax, PTE_P + PTE_RW + PTE_U
        mov [mmu_req + MMU_VAL], eax
        mov dword [mmu_req + MMU_VAL + 4], 0
        mov ebx, mmu_req
        mov ecx, 1
        mov edx, done
        mov esi, DOMID_SELF
        HYPERCALL HC_MMU_UPDATE
        EXPECT 0, "mmu_update"
        mov eax, [done]
        EXPECT 1, "mmu_update's done count"
        mov eax, [NEW_VA]
        PRINT "read through the new mapping: "
        call print_hex
        PRINT 10
        EXPECT PATTERN, "read through the new mapping"
        mov dword [NEW_VA + 0x10], 0x12345678
        mov edi, [data_frame]
        shl edi, 12
        mov eax, [edi + 0x10]
        EXPECT 0x12345678, "write through the new mapping"
        mov eax, [NEW_VA + 0x1000 + 0x10]   ; the read-only alias in L1[1]
        EXPECT 0x12345678, "read through the read-only alias"
        PRINT "written through the new mapping, seen in the frame and its read-only alias", 10

        ; ---- a plain store to the pinned L1 faults ----
        mov eax, [l1_frame]
        shl eax, 12
        lea ecx, [eax + 8]                  ; CR2 is the faulting address: the entry written below
        mov [pf_expected_cr2], ecx
        mov dword [pf_expected], 1
        mov dword [eax + 8], 0              ; #PF: the handler resumes at .after_store
.after_store:
        cmp dword [pf_expected], 0
        je .pf_ok
        PRINT "FAIL: a store to the pinned L1 did not fault", 10
        jmp fail
.pf_ok:

        ; ---- refused requests ----
        mov esi, [start_info]
        mov ecx, [esi + SI_NR_PAGES]        ; frame nr_pages: not the guest's
        shl ecx, 12
        or ecx, PTE_P + PTE_RW + PTE_U
        mov ebx, NEW_VA + 0x2000
        mov edx, UVMF_INVLPG
        HYPERCALL HC_UPDATE_VA_MAPPING
        PRINT "mapping frame nr_pages: "
        call print_int
        PRINT 10
        mov ecx, [l1_frame]                 ; the page table itself, writable
        shl ecx, 12
        or ecx, PTE_P + PTE_RW + PTE_U
        mov ebx, NEW_VA + 0x3000
        mov edx, UVMF_INVLPG
        HYPERCALL HC_UPDATE_VA_MAPPING
        PRINT "writable mapping of the new page table: "
        call print_int
        PRINT 10
        mov esi, [start_info]               ; the same through mmu_update on the boot L1 entry of that frame
        mov eax, [esi + SI_PT_BASE]
        add eax, 0x1000                     ; L1[0] is the frame after the directory
        mov edx, [l1_frame]
        cmp edx, 1024
        jae .skip_boot_l1                   ; (the new L1 is mapped by L1[0] unless the image is huge)
        lea eax, [eax + edx * 4]
        mov [mmu_req + MMU_PTR], eax
        shl edx, 12
        or edx, PTE_P + PTE_RW + PTE_U
        mov [mmu_req + MMU_VAL], edx
        mov ebx, mmu_req
        mov ecx, 1
        mov edx, done
        mov esi, DOMID_SELF
        HYPERCALL HC_MMU_UPDATE
        PRINT "mmu_update making it writable again: "
        call print_int
        PRINT 10
.skip_boot_l1:
        mov ebx, 0
        mov ecx, 0
        HYPERCALL 99                        ; no such hypercall
        PRINT "hypercall 99: "
        call print_int
        PRINT 10
        mov ebx, CONSOLEIO_WRITE
        mov ecx, 16
        mov edx, NEW_VA + 0x5000            ; not mapped
        HYPERCALL HC_CONSOLE_IO
        PRINT "console_io from an unmapped buffer: "
        call print_int
        PRINT 10

        ; ---- ring 3 ----
        mov [kernel_esp], esp
        mov ax, FLAT_RING3_DS
        mov ds, ax
        mov es, ax
        push dword FLAT_RING3_DS            ; SS
        push dword ustack_top               ; ESP
        push dword 0x202                    ; EFLAGS: IF = 1
        push dword FLAT_RING3_CS            ; CS
        push dword user_task                ; EIP
        xor eax, eax
        HYPERVISOR_IRET
back_from_ring3:                            ; SYS_EXIT lands here on the kernel's stack
        mov ax, FLAT_RING1_DS
        mov ds, ax
        mov es, ax
        mov eax, [syscalls]
        PRINT "back in ring 1 after system calls: "
        call print_int
        PRINT 10

        PRINT "exit through port 0xF4", 10
        xor eax, eax
        jmp exit

fail:
        mov eax, 1
; exit: EAX = V written to isa-debug-exit (exit code (V << 1) | 1)
exit:
        mov word [pio + PIO_PORT], DEBUG_EXIT_PORT
        mov byte [pio + PIO_SIZE], 1
        mov [pio + PIO_VALUE], eax
        mov ebx, PHYSDEVOP_PORT_WRITE
        mov ecx, pio
        HYPERCALL HC_PHYSDEV_OP
        PRINT "FAIL: physdev_op port write returned "
        call print_int
        PRINT 10
        mov ecx, shutdown_crash
        mov ebx, SCHEDOP_SHUTDOWN
        HYPERCALL HC_SCHED_OP
        ud2

; ---------------------------------------------------------- event callback --
; Frame: EIP, CS, EFLAGS [, ESP, SS]; events masked on entry.
event_callback:
        pushad
        mov ebx, [shared_info]
        mov byte [ebx + SH_UPCALL_PENDING], 0
        xor esi, esi
        xchg esi, [ebx + SH_PENDING_SEL]    ; the words to scan
.next_word:
        bsf ecx, esi                        ; ecx = word index i
        jz .done
        btr esi, ecx
        mov edx, [ebx + SH_EVTCHN_PENDING + ecx * 4]
        mov eax, [ebx + SH_EVTCHN_MASK + ecx * 4]
        not eax
        and edx, eax                        ; pending and not masked
.next_port:
        bsf eax, edx                        ; eax = bit j
        jz .next_word
        btr edx, eax
        lock btr [ebx + SH_EVTCHN_PENDING + ecx * 4], eax
        mov edi, ecx
        shl edi, 5
        add edi, eax                        ; port = 32 i + j
        cmp edi, [timer_port]
        jne .next_port
        inc dword [ticks]
        jmp .next_port
.done:
        popad
        HYPERVISOR_IRET

failsafe_callback:
        PRINT "FAIL: failsafe callback entered", 10
        jmp fail

; ------------------------------------------------------------ #PF handler ---
; Frame: error code, EIP, CS, EFLAGS [, ESP, SS].
pf_handler:
        pushad
        cmp dword [pf_expected], 1
        jne .unexpected
        mov ebx, [shared_info]
        mov eax, [ebx + SH_CR2]
        cmp eax, [pf_expected_cr2]
        jne .unexpected
        mov eax, [esp + 32]                 ; error code
        PRINT "store to the pinned L1: #PF error code "
        call print_hex
        PRINT ", CR2 = the entry's address", 10
        cmp eax, 3
        jne .unexpected
        mov dword [pf_expected], 0
        mov dword [esp + 36], pf_resume     ; resume after the store
        popad
        add esp, 4
        HYPERVISOR_IRET
.unexpected:
        PRINT "FAIL: unexpected #PF, error code "
        mov eax, [esp + 32]
        call print_hex
        PRINT " eip "
        mov eax, [esp + 36]
        call print_hex
        PRINT " cr2 "
        mov ebx, [shared_info]
        mov eax, [ebx + SH_CR2]
        call print_hex
        PRINT 10
        jmp fail
pf_resume equ start.after_store

; ------------------------------------------------------------ #GP handler ---
gp_handler:
        pushad
        mov eax, [esp + 40]                 ; CS
        and eax, 3
        cmp eax, 3
        jne .unexpected
        mov eax, [esp + 32]
        cmp eax, (HC_VECTOR << 3) | 2
        jne .unexpected
        PRINT "ring 3 int 0x82: #GP error code "
        call print_hex
        PRINT 10
        add dword [esp + 36], 2             ; skip the int 0x82
        popad
        add esp, 4
        HYPERVISOR_IRET
.unexpected:
        PRINT "FAIL: unexpected #GP, error code "
        mov eax, [esp + 32]
        call print_hex
        PRINT " eip "
        mov eax, [esp + 36]
        call print_hex
        PRINT " cs "
        mov eax, [esp + 40]
        call print_hex
        PRINT 10
        jmp fail

; ---------------------------------------------------- INT 0x80 (fast gate) --
; From ring 3 on SS1:ESP1: EIP, CS, EFLAGS, ESP, SS; EAX = call, ECX, EDX = arguments.
syscall_handler:
        inc dword [syscalls]
        cmp eax, SYS_WRITE
        je .write
        cmp eax, SYS_EXIT
        je .exit
        mov eax, -ENOSYS
        HYPERVISOR_IRET
.write:
        push ebx
        mov ebx, CONSOLEIO_WRITE            ; ecx = buffer, edx = length: console_io(0, edx, ecx)
        xchg ecx, edx
        HYPERCALL HC_CONSOLE_IO
        xchg ecx, edx
        pop ebx
        HYPERVISOR_IRET                     ; EAX = console_io's result
.exit:
        mov esp, [kernel_esp]
        jmp back_from_ring3

; ---------------------------------------------------------------- ring 3 ----
user_task:
        UPRINT "ring 3: hello through int 0x80", 10
        test eax, eax
        jnz .bad
        mov eax, cs
        and eax, 3
        cmp eax, 3
        jne .bad
        UPRINT "ring 3: CPL 3, trying a hypercall", 10
        mov eax, HC_CONSOLE_IO
        int 0x82                            ; refused: #GP, the kernel skips it
        UPRINT "ring 3: still running, exiting", 10
        mov eax, SYS_EXIT
        int 0x80
.bad:   UPRINT "FAIL: ring 3 task", 10
        mov eax, SYS_EXIT
        int 0x80

; ---------------------------------------------------------------- output ----
; print_hex: EAX as 8 hex digits; print_int: EAX as a signed decimal. Registers and flags preserved.
print_hex:
        pushfd
        pushad
        mov edi, numbuf
        mov ecx, 8
.digit: rol eax, 4
        mov edx, eax
        and edx, 0xF
        mov dl, [hexdigits + edx]
        mov [edi], dl
        inc edi
        loop .digit
        mov ebx, CONSOLEIO_WRITE
        mov ecx, 8
        mov edx, numbuf
        HYPERCALL HC_CONSOLE_IO
        popad
        popfd
        ret

print_int:
        pushfd
        pushad
        mov edi, numbuf + 12                ; digits right to left
        mov esi, eax
        test eax, eax
        jns .positive
        neg eax
.positive:
        mov ecx, 10
.loop:  xor edx, edx
        div ecx
        add dl, '0'
        dec edi
        mov [edi], dl
        test eax, eax
        jnz .loop
        test esi, esi
        jns .write
        dec edi
        mov byte [edi], '-'
.write: mov ebx, CONSOLEIO_WRITE
        mov ecx, numbuf + 12
        sub ecx, edi
        mov edx, edi
        HYPERCALL HC_CONSOLE_IO
        popad
        popfd
        ret

; ------------------------------------------------------------------ data ----
        align 8
trap_table:
        TRAP VEC_PF, TI_DPL0, pf_handler
        TRAP VEC_GP, TI_DPL0, gp_handler
        TRAP 0x80, TI_DPL3, syscall_handler  ; DPL 3, events not masked: the fast system-call gate
        TRAP_TABLE_END
hexdigits:      db "0123456789ABCDEF"
shutdown_crash: dd SHUTDOWN_CRASH

        PV_END_OF_IMAGE
        alignb 4
start_info:     resd 1
shared_info:    resd 1
boot_esp:       resd 1
kernel_esp:     resd 1
timer_port:     resd 1
port_arg:       resd 1
ticks:          resd 1
ticks_seen:     resd 1
syscalls:       resd 1
l1_frame:       resd 1
data_frame:     resd 1
done:           resd 1
pf_expected:    resd 1
pf_expected_cr2: resd 1
bind:           resd 3
        alignb 8
period:         resq 1
mmu_req:        resb MMU_BYTES
mmuext:         resb MMUEXT_BYTES
pio:            resb PIO_BYTES
numbuf:         resb 16
        alignb 16
kstack:         resb 4096
kstack_top:
ustack:         resb 4096
ustack_top:
        PV_END_OF_BSS
