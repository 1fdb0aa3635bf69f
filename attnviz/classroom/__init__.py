"""The live class: a teacher asks, every phone votes, the projector shows the class against the model.

store.py keeps classes, questions and votes (SQLite or PostgreSQL behind one interface); session.py
holds the class's rules as pure functions (codes, secrets, questions from a Trace, tallies, the
summary); figure.py draws the class's answers as a row of the attention heatmap. The page is
attnviz/views/classroom.py. No Streamlit here.
"""
