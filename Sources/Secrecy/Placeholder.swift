enum SecrecyPlaceholder {}
