"""Reports: the numbers the staff dashboard and the PDF report show, and the PDF itself."""
