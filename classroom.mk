# Classroom targets, included by the Makefile (`include classroom.mk`): they use its BIN, its venv
# target and its exported environment (PATH with the venv first, PYTHONHASHSEED, OMP_NUM_THREADS,
# MPLBACKEND).
#
#   make student-book   the book with every solution removed, into _build/student/html
#   make assignments    student and autograder versions of assignments/NN_*.ipynb, into
#                       assignments/dist/ (and nowhere else); see chapters/teaching.md.
#                       TERM_SEED=N builds this term's variant (new data; 0 or unset: as written)

.PHONY: student-book assignments   # phony: a folder is called assignments

student-book: venv
	$(BIN)/python assignments/tools/student_book.py --output _build/student

assignments: venv
	$(BIN)/python assignments/tools/build.py $(if $(TERM_SEED),--term-seed $(TERM_SEED))
