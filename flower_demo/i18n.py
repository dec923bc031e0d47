"""Spanish and English texts for the whole app, and the choice of language for a request.

The UI hands these dictionaries to `gr.I18n` (labels, Markdown, tab names and choices are translated
in the browser). Texts made on the server (messages, plot titles, class names, the classification
sentence) go through `translate`, with the language taken from the request's Accept-Language.
"""

from __future__ import annotations

import numbers
import string

LANGUAGES = ("es", "en")
DEFAULT_LANGUAGE = "es"  # the tutorial is in Spanish

TEXTS: dict[str, dict[str, str]] = {
    "es": {
        # app
        "about_tab": "Qué enseña esta pestaña",
        "app_title": "# Cómo ven las imágenes las redes convolucionales\nUn tutorial interactivo con el conjunto de flores (margaritas, dientes de león, rosas, girasoles, tulipanes).",
        "tab_kernels": "Kernels", "tab_dataset": "Datos", "tab_augment": "Aumento de datos",
        "tab_training": "Entrenamiento", "tab_classify": "Clasificar",
        # kernels
        "kernels_intro": "## El kernel y la convolución\nUn **kernel** es una pequeña matriz de pesos. La **convolución** lo desliza sobre la imagen: en cada posición toma el parche de píxeles que cubre, multiplica cada píxel por su peso y suma los productos (un producto escalar). Así un kernel detecta bordes, desenfoca o enfoca. En color se aplica el mismo kernel a cada canal (R, G, B); una capa Conv2D suma además los tres resultados en un único número por filtro.",
        "input_photo": "Foto de entrada", "kernel": "Kernel", "mode": "Modo", "mode_color": "Color (por canal)",
        "mode_grey": "Escala de grises", "stride": "Paso (stride)", "padding": "Relleno (padding)",
        "custom_kernel": "Kernel personalizado (edita las celdas; 3×3 o 5×5)",
        "custom_size": "Tamaño del kernel personalizado",
        "filtered_image": "Imagen filtrada", "kernel_heatmap": "El kernel",
        "pixel_row": "Fila del píxel de salida", "pixel_col": "Columna del píxel de salida",
        "step_view": "Paso a paso: un píxel de salida", "convolve_button": "Aplicar kernel",
        "step_heading": "### Paso a paso: un píxel de salida\nElige la fila y la columna de un píxel de la imagen filtrada (el anillo lo marca): abajo, el parche de la foto que cubre el kernel, el kernel y sus productos.",
        "examples_photo": "Ejemplo", "padding_same": "same: borde de ceros, salida del mismo tamaño",
        "padding_valid": "valid: sin borde, salida más pequeña",
        "kernel_identity": "Identidad", "kernel_edge": "Bordes (Laplaciano)", "kernel_sobel_x": "Sobel X (bordes verticales)",
        "kernel_sobel_y": "Sobel Y (bordes horizontales)", "kernel_blur": "Desenfoque (media)",
        "kernel_gaussian_blur": "Desenfoque gaussiano", "kernel_sharpen": "Enfoque", "kernel_emboss": "Relieve",
        "kernel_custom": "Personalizado",
        "display_clip": "Cómo se muestra: cada canal se recorta a 0–255 (lo que queda fuera se satura).",
        "display_abs": "Cómo se muestra: el valor absoluto de la respuesta, recortado a 0–255; los bordes en cualquier dirección brillan sobre negro.",
        "response_range": "Respuesta antes de mostrarla: mínimo {low:.1f}, máximo {high:.1f}. Salida {width}×{height} píxeles.",
        "downscaled": "La foto medía {width}×{height}; se redujo a {max_side} px de lado.",
        "step_total": "suma de los canales = {total:.1f} (la salida de un filtro Conv2D)",
        "step_pixel": "Píxel de salida (fila {row}, columna {col})", "step_marker": "El anillo en la imagen filtrada marca el píxel de salida (fila {row}, columna {col}) que se calcula abajo.",
        "step_patch": "Parche", "step_products": "Productos", "step_sum": "suma",
        "channel_R": "R", "channel_G": "G", "channel_B": "B", "channel_grey": "Gris",
        # dataset
        "dataset_intro": "## El conjunto de datos\nFotos de flores de Flickr (licencias CC-BY) en cinco carpetas, una por clase. Los nombres de clase salen de las carpetas en orden alfabético. `image_dataset_from_directory` las lee, las redimensiona a 180×180 y las agrupa en lotes de 32; el 80 % entrena y el 20 % valida (semilla 123).",
        "dataset_button": "Cargar el conjunto de datos", "class_counts": "Fotos por clase",
        "sample_grid": "Nueve fotos con su etiqueta", "batch_shapes": "Forma de un lote",
        "normalisation": "Normalización", "dataset_status": "Estado",
        "dataset_summary": "**{count}** fotos en {classes} clases. Entrenamiento: {train} · validación: {val}.{skipped}",
        "dataset_skipped": " Se omitieron {count} archivos ilegibles.", "dataset_skipped_one": " Se omitió 1 archivo ilegible.",
        "shapes_text": "`image_batch.shape` = {images}  ·  `labels_batch.shape` = {labels}",
        "normalise_intro": "## Normalizar los píxeles\nLos píxeles van de 0 a 255; las redes aprenden mejor con valores pequeños, así que se dividen entre 255. En el modelo lo hace la capa `Rescaling(1/255)`.",
        "normalise_text": "Antes: mínimo {low_before}, máximo {high_before} (enteros 0–255). Después de dividir entre 255: mínimo {low_after:.3f}, máximo {high_after:.3f}.",
        "performance_note": "`cache()` guarda las fotos decodificadas en memoria y `prefetch()` prepara el siguiente lote mientras el modelo entrena el actual.",
        # augmentation
        "augment_intro": "## Aumento de datos\nCon pocas fotos el modelo memoriza (sobreajuste). El aumento de datos crea variaciones aleatorias de cada foto en cada época: volteo horizontal, rotación, zoom y contraste. Son exactamente las variaciones que ve el entrenamiento. Cada control cambia las nueve al momento; el botón saca otras nueve.",
        "flip": "Volteo horizontal", "rotation": "Rotación (fracción de vuelta)", "zoom": "Zoom (fracción)",
        "contrast": "Contraste", "seed": "Semilla (la misma semilla da las mismas nueve)", "augment_button": "Otras 9 variaciones",
        "augmented_grid": "Nueve versiones aumentadas", "augment_preset": "Ajustes de un preset",
        "augment_button_loading": "Cargando TensorFlow…",
        "cutmix_title": "CutMix: un trozo de otra foto",
        "cutmix_intro": "El modelo incluido también entrena con **CutMix**: en la mitad de las fotos pega un recuadro de otra foto del lote, de cualquier tamaño, y mezcla las etiquetas según el área que se ve de cada una (\"70 % margarita, 30 % rosas\"). Así no puede fiarse de una sola parte de la flor. El número de cada foto es la parte de su etiqueta que corresponde a la segunda foto.",
        "cutmix": "CutMix (fracción de fotos con un recuadro pegado)", "cutmix_second_photo": "Segunda foto",
        "cutmix_share": "{share} % 2.ª foto",
        # training
        "training_intro": "## Entrenar en directo\nElige un preset y pulsa Entrenar: las curvas de exactitud y pérdida crecen mientras el modelo aprende. Si la exactitud de entrenamiento sigue subiendo y la de validación se estanca, el modelo está **sobreajustando**: memoriza las fotos de entrenamiento en vez de aprender flores. El aumento de datos y el Dropout lo combaten (compara `seed` con `seed_augmented`). La validación usa fotos que el modelo no ve al entrenar.",
        "preset": "Preset", "epochs": "Épocas", "batch_size": "Tamaño de lote", "image_size": "Tamaño de imagen (px)",
        "learning_rate": "Tasa de aprendizaje", "validation_split": "Fracción de validación", "device": "Dispositivo",
        "train_button": "Entrenar", "stop_button": "Detener", "training_status": "Progreso",
        "accuracy_plot": "Exactitud", "loss_plot": "Pérdida", "model_summary": "Resumen del modelo",
        "preset_seed": "seed: el primer modelo del tutorial", "preset_seed_augmented": "seed_augmented: con aumento y Dropout",
        "preset_live": "live: rápido para clase", "preset_flower_cnn": "flower_cnn: la receta del modelo incluido",
        "status_waiting": "En la cola: hay {count} entrenamientos antes que el tuyo; empezará en unos {wait}. Pulsa Detener para salir de la cola.",
        "status_waiting_one": "En la cola: hay 1 entrenamiento antes que el tuyo; empezará en unos {wait}. Pulsa Detener para salir de la cola.",
        "status_left_line": "Saliste de la cola: no se entrenó nada.",
        "status_preparing": "Preparando las fotos…",
        "status_downloading": "Descargando el conjunto de flores: {done:.0f} de {total:.0f} MB (solo la primera vez).",
        "status_loading": "Preparando las fotos: {done} de {total}.",
        "status_training": "Época {epoch} de {epochs}, fotos de {size} px · lote {batch} de {steps} · {per_epoch} por época · quedan {eta}.",
        "status_finished": "Listo: {count} épocas, exactitud de validación {val_accuracy}. La pestaña Clasificar usa ahora tu modelo.",
        "status_finished_one": "Listo: 1 época, exactitud de validación {val_accuracy}. La pestaña Clasificar usa ahora tu modelo.",
        "status_stopped": "Detenido durante la época {epoch} de {epochs}, tras {count} épocas completas; se conserva el modelo entrenado hasta ahora (exactitud de validación {val_accuracy}) y la pestaña Clasificar lo usa.",
        "status_stopped_one": "Detenido durante la época {epoch} de {epochs}, tras 1 época completa; se conserva el modelo entrenado hasta ahora (exactitud de validación {val_accuracy}) y la pestaña Clasificar lo usa.",
        "status_stopped_between": "Detenido tras {count} de {epochs} épocas; se conserva el modelo entrenado hasta ahora (exactitud de validación {val_accuracy}) y la pestaña Clasificar lo usa.",
        "status_failed": "No se pudo entrenar: {message}",
        "status_skipped": " Se omitieron {count} archivos ilegibles.", "status_skipped_one": " Se omitió 1 archivo ilegible.",
        "status_stop_requested": "Deteniendo tras el lote actual…",
        "status_starting": "Arrancando tu entrenamiento en una máquina del clúster…",
        "series_training": "entrenamiento", "series_validation": "validación",
        "series_previous_training": "entrenamiento (anterior)", "series_previous_validation": "validación (anterior)",
        "epoch_axis": "época",
        "summary_layer": "Capa (tipo)", "summary_shape": "Forma de salida", "summary_params": "Parámetros",
        "summary_batch": "lote", "summary_total": "Parámetros en total: **{total:,}**. «lote» es el número de fotos que entran a la vez.",
        # classify
        "classify_intro": "## Clasificar una foto nueva\nSube una foto, usa la cámara, pega una imagen o elige un ejemplo. El modelo devuelve una puntuación por clase; softmax las convierte en probabilidades que suman 100 %.\n\n**La red solo puede elegir entre sus cinco flores.** No sabe decir «esto no es una flor»: ante un cuadrado gris, una casa o una cara, igualmente nombra una. Si ninguna clase llega al 60 %, te avisamos de que no está segura.",
        "classify_button": "Clasificar", "top_classes": "Las cinco clases más probables", "sentence": "Resultado",
        "classify_sentence": "Lo más probable: **{label}**, con un {confidence:.1f} % de confianza.",
        "classify_unsure": "⚠️ **No está segura:** ninguna clase llega al {threshold:.0f} %. Quizá no sea ninguna de las cinco flores, o la foto no se vea bien.",
        "classify_right": "Clase real (su carpeta en el conjunto de datos): **{label}**. ✅ Acierto.",
        "classify_wrong": "Clase real (su carpeta en el conjunto de datos): **{label}**. ❌ Fallo.",
        "true_class": "Clase real", "examples": "Ejemplos (la última no es una flor)",
        "model_used_student": "Modelo: el que entrenaste en esta sesión ({preset}).",
        "model_used_shipped": "Modelo: el incluido con la app.",
        "classify_button_loading": "Cargando el modelo…",
        "status_warming_up": "Cargando TensorFlow y el modelo: solo ocurre unos segundos al arrancar la app…",
        "class_daisy": "margaritas", "class_dandelion": "dientes de león", "class_roses": "rosas",
        "class_sunflowers": "girasoles", "class_tulips": "tulipanes",
        # inside the network
        "tab_inside": "Dentro de la red",
        "inside_intro": "## Dentro de la red\nMira qué calcula por dentro una red ya entrenada: la que entrenaste en esta sesión o la incluida con la app. Elige una foto y pulsa **Mirar dentro**.",
        "inside_model": "Modelo", "inside_model_own": "El que entrenaste (si no, el incluido)",
        "inside_model_shipped": "El incluido con la app", "inside_button": "Mirar dentro",
        "per_stage": "Canales por etapa",
        "inside_fallback": "Aún no has entrenado ningún modelo en esta sesión: ves el incluido con la app.",
        "feature_maps_intro": "### 1. Mapas de características\nCada etapa convolucional produce muchos mapas, uno por filtro: brillan donde el filtro encuentra su patrón. Aquí ves los canales más activos de cada etapa (amarillo = respuesta fuerte, cada mapa en su propia escala). Las primeras etapas, grandes y con pocos canales, responden a bordes y colores; las intermedias, a texturas; las últimas, pequeñas y con cientos de canales, a partes de flor (pétalos, centros) sin importar dónde estén.",
        "feature_maps": "Mapas de características por etapa",
        "stage_caption": "Etapa {index}: {layer} · {height} × {width} × {channels} · los {shown} canales más activos",
        "filters_intro": "### 2. Filtros aprendidos junto a los kernels hechos a mano\nLa primera capa Conv2D aprende sus propios kernels: uno de 3×3 por canal de color en cada filtro. Cada cuadro muestra un filtro: arriba a la izquierda, en color (gris = 0); luego sus pesos R, G y B (rojo positivo, azul negativo), con el kernel de la pestaña Kernels al que más se parece y su similitud coseno (−1 a 1; un valor negativo es el mismo patrón con claro y oscuro intercambiados). Pulsa un filtro para aplicarlo a la foto.",
        "learned_filters": "Filtros de la primera capa",
        "filters_listing": "Los filtros en texto",
        "filters_row": "| #{index} | {kernel} | {similarity:+.2f} |", "filters_header": "| Filtro | Kernel más parecido | Similitud |",
        "filter_caption": "#{index} ≈ {kernel}\n{similarity:+.2f}",
        "figure_filter_caption": "#{index} · {similarity:+.2f}\n{kernel}",
        "figure_stage_caption": "Etapa {index}: {layer} · {height} × {width} × {channels} · los {count} canales más activos",
        "figure_stage_caption_one": "Etapa {index}: {layer} · {height} × {width} × {channels} · el canal más activo",
        "filter_number": "Filtro a aplicar",
        "learned_response": "El filtro aprendido sobre la foto",
        "handmade_response": "El kernel hecho a mano más parecido",
        "filter_notes": "El filtro **#{index}** de `{layer}` se parece a **{kernel}** (similitud {similarity:+.2f}). A la izquierda, su respuesta a la foto: los tres canales filtrados y sumados, como hace Conv2D; a la derecha, la del kernel «{kernel}» en escala de grises. Rojo = respuesta positiva, azul = negativa.",
        "saliency_intro": "### 3. ¿Dónde miró?\nGrad-CAM colorea las zonas de la foto que más empujaron la respuesta hacia una clase: calcula cuánto cambiaría la puntuación de esa clase con cada mapa de la última etapa y suma los mapas con esos pesos. Elige otra clase para preguntar «¿por qué rosas y no tulipanes?».",
        "saliency_title": "¿Dónde miró el modelo? (Grad-CAM)",
        "saliency_class": "Clase a explicar", "saliency_predicted": "La respuesta del modelo",
        "saliency_opacity": "Opacidad del mapa de calor", "saliency_image": "Dónde encontró evidencia",
        "saliency_text": "El modelo responde **{answer}** ({confidence:.1f} %). Las zonas cálidas muestran dónde encontró evidencia de **{target}** ({probability:.1f} %), según los {height}×{width} mapas de su última etapa (`{layer}`).",
        "saliency_mirror": " Este modelo mira la foto y su reflejo: el mapa suma las dos miradas.",
        # evaluate, compare runs, models in and out (issue 17)
        "tab_evaluate": "Evaluar", "tab_compare": "Comparar",
        "evaluate_intro": "## ¿Dónde se equivoca el modelo?\nUna red aprende tanto de sus errores como de su exactitud. Evalúa un modelo con las fotos de validación (el 20 % que el entrenamiento aparta, semilla 123): su exactitud, clase por clase, y la **matriz de confusión**, donde cada fila es la clase real y cada columna la que dijo el modelo. La diagonal son los aciertos; todo lo demás, errores.",
        "evaluate_button": "Evaluar con las fotos de validación",
        "evaluate_loading": "Preparando las fotos: {done} de {total}",
        "evaluate_scoring": "Evaluando: {done} de {total} fotos",
        "evaluate_summary": "Exactitud: **{accuracy:.1f} %** en {photos} fotos de validación ({split} % apartado, semilla 123).",
        "evaluate_per_class": "Por clase: {classes}.",
        "evaluate_sampled": " Se evaluaron {photos} de las {available} (límite del servidor).",
        "evaluate_note_run": "Tu entrenamiento #{number} ({preset}) apartó estas fotos: nunca entrenó con ellas.",
        "evaluate_note_shipped": "**Ojo:** el modelo incluido es un *ajuste final*: se entrenó con todas las fotos del conjunto de flores, también con estas. Si esta carpeta es ese conjunto, esta exactitud es sobre fotos que ya vio y sale optimista. Su receta, entrenada con el 80 % de las fotos, acierta el 90,3 % de las otras; un modelo incluido antes, que ahí acertaba el 88,9 %, acertó el 86,0 % de 736 fotos que nunca vio (ver la ficha del modelo, `docs/model-card.md`).",
        "evaluate_note_server": "Es el modelo del servidor (`{name}`): la app no sabe con qué fotos se entrenó; si fue con estas, esta exactitud sale optimista.",
        "evaluate_note_upload": "Es el modelo que subiste (`{name}`): la app no sabe con qué fotos se entrenó; si fue con estas, esta exactitud sale optimista.",
        "confusion_image": "Matriz de confusión (pulsa una casilla)",
        "confusion_title": "Matriz de confusión · {accuracy:.1f} % de acierto",
        "confusion_true": "Clase real", "confusion_predicted": "Clase predicha",
        "evaluation_numbers": "Los números (JSON)",
        "mistakes_intro": "### Los errores, foto a foto\nPulsa una casilla de la matriz, o elige la clase real y la predicha, para ver esas fotos con la confianza del modelo (la más segura primero). Con «cualquiera» ves los errores de los que el modelo estaba **más seguro**. Pulsa una foto y envíala a Clasificar para ver dónde miró.",
        "true_class": "Clase real", "predicted_class": "Clase predicha", "class_any": "cualquiera",
        "mistakes_button": "Mostrar estas fotos", "confident_button": "Los errores más seguros",
        "mistakes_gallery": "Fotos", "mistakes_caption": "{true} → {predicted} · {confidence:.0f} %",
        "mistakes_cell": "**{count}** foto(s) de **{true}** tomadas por **{predicted}**; aquí {shown}, de la más segura a la menos.",
        "mistakes_right": "**{count}** foto(s) de **{true}** acertadas; aquí {shown}, de la más segura a la menos.",
        "mistakes_any": "Los **{shown}** errores de los que el modelo estaba más seguro (de {count} errores).",
        "mistakes_any_true": "Los **{shown}** errores más seguros con fotos de **{true}** (de {count}).",
        "mistakes_any_predicted": "Los **{shown}** errores más seguros en que dijo **{predicted}** (de {count}).",
        "mistakes_none": "Ninguna foto aquí.",
        "mistakes_selected": "Elegida: `{file}`, {true} tomada por {predicted} ({confidence:.1f} %).",
        "send_classify": "Enviar a Clasificar (y ver dónde miró)",
        "error_pick_photo": "Primero pulsa una foto de la galería.",
        "error_evaluation_classes": "Las carpetas de fotos no coinciden con las clases del modelo ({detail}).",
        "compare_intro": "## Comparar entrenamientos\nCada entrenamiento de esta sesión queda en la tabla (sus ajustes, su tiempo y su exactitud de validación). Elige cuáles superponer: en color oscuro la validación, en claro el entrenamiento. Cuando la curva de entrenamiento sigue subiendo y la de validación se queda atrás, el modelo **sobreajusta**.",
        "runs_table": "Entrenamientos de esta sesión", "runs_chosen": "Curvas a superponer", "compare_metric": "Curva",
        "comparison_plot": "Curvas de los entrenamientos elegidos",
        "run_number": "N.º", "run_settings_column": "Ajustes", "run_seconds": "Segundos entrenando",
        "run_best": "Mejor validación", "run_last": "Última validación",
        "run_settings": "{size} px · lote {batch} · tasa {rate:g} · validación {split} %",
        "run_augmented": " · aumento", "run_dropout": " · dropout {dropout}",
        "run_epochs_stopped": "{done} de {asked} (detenido)",
        "no_runs": "Aún no hay entrenamientos en esta sesión: entrena en la pestaña Entrenamiento o lanza la comparación del tutorial.",
        "tutorial_compare_intro": "### La comparación del tutorial\n`seed` y después `seed_augmented`, con las mismas épocas: el primero memoriza (entrenamiento muy por encima de validación); el segundo, con aumento de datos y Dropout, se sobreajusta menos. Tarda unos minutos; el último modelo queda como tu modelo.",
        "compare_epochs": "Épocas de cada uno", "compare_button": "Entrenar seed y después seed_augmented",
        "compare_progress": "**{preset}** ({index} de 2): época {epoch} de {epochs} · lote {batch} de {steps}.",
        "compare_loading": "**{preset}** ({index} de 2): preparando las fotos…",
        "compare_done": "Listo: {first} y {second}, {epochs} épocas cada uno. Compara la distancia entre entrenamiento y validación de cada uno: eso es el sobreajuste.",
        "compare_stopped": "Comparación detenida; se conservan los entrenamientos terminados.",
        "export_intro": "### Llevarse el modelo a casa\nDescarga tu modelo (`.keras`, como el incluido con la app) y la orden que repite el entrenamiento en tu ordenador con este mismo código. Luego puedes subirlo en la pestaña Clasificar.",
        "export_button": "Preparar la descarga", "export_file": "Modelo (.keras)",
        "export_command": "Para repetir este entrenamiento (añade `--data-dir` con tu carpeta de fotos; sin ella se descargan las del tutorial):",
        "export_stopped": "Se detuvo tras {done} de {asked} épocas: la orden entrena las {asked}.",
        "export_shipped": "Es el modelo incluido con la app; así se entrenó (con todas las fotos, sin validación):",
        "export_upload": "Es el modelo que subiste (`{name}`): la app no sabe cómo se entrenó.",
        "export_server": "Es el modelo del servidor (`{name}`): la app no sabe cómo se entrenó.",
        "upload_model_title": "Usar tu propio modelo (.keras)",
        "upload_model_intro": "Sube un modelo `.keras` entrenado en casa (`python -m flower_demo train … --out mi_modelo.keras`, máximo 32 MB). Pasa a ser tu modelo en esta sesión (Clasificar, Dentro de la red, Evaluar); nadie más lo ve.",
        "upload_model_file": "Archivo .keras",
        "upload_model_done": "Modelo cargado: **{name}** (fotos de {side}×{side} px, {parameters} parámetros). Clasificar, Dentro de la red y Evaluar lo usan ahora.",
        "model_used_uploaded": "Modelo: el que subiste ({name}).",
        "error_model_dropped": "Tu modelo se liberó para dejar memoria al resto de la clase: entrénalo o súbelo de nuevo, o elige el incluido con la app.",
        "error_model_over_memory": "Este modelo ocuparía más memoria de la que el servidor guarda para los modelos de toda la clase ({detail}).",
        "error_no_model_file": "Primero elige un archivo .keras.",
        "error_link_input": "Sube el archivo desde tu equipo: la app no descarga enlaces.",
        "error_too_many_calls": "Ya tienes esto en marcha: espera a que termine antes de pedirlo otra vez.",
        "error_model_too_large": "El modelo es demasiado grande: máximo 32 MB y 8 millones de pesos ({detail}).",
        "error_model_not_keras": "Este archivo no es un modelo .keras que podamos leer ({detail}).",
        "error_model_unsafe": "Por seguridad no cargamos este modelo: solo se admiten las capas corrientes de una CNN (Conv2D, Dense, pooling, normalización, activaciones…), sin código ni funciones como las capas Lambda ({detail}).",
        "error_model_costly": "Este modelo es demasiado costoso para un servidor que comparte toda la clase: pide {flops:.2f} GFLOP y {memory:.0f} MB por foto; el máximo es {max_flops:.2f} GFLOP y {max_memory:.0f} MB (el doble del modelo incluido).",
        "error_model_nonfinite": "El modelo da puntuaciones que no son números (NaN o infinito) para fotos de prueba, así que no se puede usar.",
        "error_model_settings": "Cargar este modelo cambiaba ajustes de Keras de todo el servidor; no se carga ({detail}).",
        "error_model_contract": "El modelo no encaja en la app: debe recibir fotos RGB cuadradas de 32 a 256 px y dar 5 puntuaciones, una por clase ({detail}).",
        # errors
        "error_no_image": "Primero elige una imagen.",
        "error_empty": "El archivo está vacío.",
        "error_too_large_file": "El archivo es demasiado grande (máximo 10 MB).",
        "error_not_image": "Este archivo no es una imagen que podamos leer (usa JPEG, PNG, WebP, GIF o BMP).",
        "error_broken_image": "La imagen está dañada o incompleta.",
        "error_too_many_pixels": "La imagen tiene demasiados píxeles: hasta 16 megapíxeles, o 40 si es una foto JPEG.",
        "error_kernel_shape": "El kernel personalizado debe ser una cuadrícula de 3×3 o 5×5.",
        "error_kernel_value": "Cada celda del kernel debe ser un número finito entre -1000 y 1000 ({detail}).",
        "error_image_too_small": "Con relleno «valid» la imagen debe ser al menos tan grande como el kernel.",
        "error_setting": "Ajuste no válido: {detail}.",
        "setting_model": "modelo", "setting_class": "clase", "setting_kernel": "kernel", "setting_padding": "relleno",
        "setting_mode": "modo", "setting_stride": "paso",
        "error_no_stages": "Este modelo no tiene etapas convolucionales que mostrar ({detail}).",
        "error_filter_size": "Los filtros de la primera convolución de este modelo miden {detail} y ningún kernel hecho a mano tiene ese tamaño: esta vista solo compara filtros del tamaño de los de la pestaña Kernels.",
        "error_answer_nonfinite": "El modelo no dio números para esta foto (NaN o infinito), así que no hay respuesta que mostrar. Prueba con otra foto o con otro modelo.",
        "error_training_crashed": "un error inesperado del servidor detuvo el entrenamiento ({detail}). Pulsa Entrenar para intentarlo de nuevo; si se repite, avisa a tu profesor o profesora.",
        "error_no_photos": "No hay fotos en la carpeta indicada ({detail}): debe tener una subcarpeta por clase.",
        "error_download": "No se pudo descargar el conjunto de flores ({detail}). Sin internet, descarga el archivo flower_photos.tgz en otro equipo, descomprímelo y apunta la variable de entorno FLOWER_DATA_DIR a la carpeta flower_photos.",
        "dataset_photo_button": "Foto al azar del conjunto de validación",
        "error_no_local_photos": "Las fotos del conjunto aún no están en este servidor: cárgalas en la pestaña Datos (o define FLOWER_DATA_DIR).",
        "error_no_model": "No hay ningún modelo: entrena uno en la pestaña Entrenamiento.",
        "error_unknown_preset": "Preset desconocido: {detail}.",
        "error_training_busy": "Ya estás entrenando un modelo en esta sesión: espera a que termine o pulsa Detener.",
        "error_time_limit": "Se alcanzó el límite de {seconds} s por entrenamiento.",
        "error_cluster": "no se pudo usar el clúster de entrenamiento ({detail}). Avisa a tu profesor o profesora.",
        "error_worker_lost": "la máquina que entrenaba tu modelo dejó de responder ({detail}). Tu puesto quedó libre: pulsa Entrenar para empezar de nuevo.",
    },
    "en": {
        "about_tab": "What this tab teaches",
        "app_title": "# How convolutional networks see images\nAn interactive tutorial on the flowers dataset (daisies, dandelions, roses, sunflowers, tulips).",
        "tab_kernels": "Kernels", "tab_dataset": "Dataset", "tab_augment": "Augmentation",
        "tab_training": "Training", "tab_classify": "Classify",
        "kernels_intro": "## Kernels and convolution\nA **kernel** is a small grid of weights. **Convolution** slides it over the image: at each position it takes the patch of pixels under it, multiplies each pixel by its weight and adds the products (a dot product). That is how a kernel finds edges, blurs or sharpens. In colour the same kernel filters each channel (R, G, B); a Conv2D layer also adds the three results into one number per filter.",
        "input_photo": "Input photo", "kernel": "Kernel", "mode": "Mode", "mode_color": "Colour (per channel)",
        "mode_grey": "Greyscale", "stride": "Stride", "padding": "Padding",
        "custom_kernel": "Custom kernel (edit the cells; 3×3 or 5×5)",
        "custom_size": "Custom kernel size",
        "filtered_image": "Filtered image", "kernel_heatmap": "The kernel",
        "pixel_row": "Output pixel row", "pixel_col": "Output pixel column",
        "step_view": "Step by step: one output pixel", "convolve_button": "Apply kernel",
        "step_heading": "### Step by step: one output pixel\nChoose the row and column of a pixel of the filtered image (the ring marks it): below, the patch of the photo under the kernel, the kernel and their products.",
        "examples_photo": "Example", "padding_same": "same: a border of zeros, output the same size",
        "padding_valid": "valid: no border, a smaller output",
        "kernel_identity": "Identity", "kernel_edge": "Edges (Laplacian)", "kernel_sobel_x": "Sobel X (vertical edges)",
        "kernel_sobel_y": "Sobel Y (horizontal edges)", "kernel_blur": "Blur (box)",
        "kernel_gaussian_blur": "Gaussian blur", "kernel_sharpen": "Sharpen", "kernel_emboss": "Emboss",
        "kernel_custom": "Custom",
        "display_clip": "How it is shown: each channel is clipped to 0–255 (values outside saturate).",
        "display_abs": "How it is shown: the absolute value of the response, clipped to 0–255, so edges in either direction shine on black.",
        "response_range": "Response before display: min {low:.1f}, max {high:.1f}. Output {width}×{height} pixels.",
        "downscaled": "The photo was {width}×{height}; it was reduced to {max_side} px a side.",
        "step_total": "sum over channels = {total:.1f} (what a Conv2D filter outputs)",
        "step_pixel": "Output pixel (row {row}, column {col})", "step_marker": "The ring on the filtered image marks the output pixel (row {row}, column {col}) worked out below.",
        "step_patch": "Patch", "step_products": "Products", "step_sum": "sum",
        "channel_R": "R", "channel_G": "G", "channel_B": "B", "channel_grey": "Grey",
        "dataset_intro": "## The dataset\nFlower photos from Flickr (CC-BY licences) in five folders, one per class. Class names come from the folder names in alphabetical order. `image_dataset_from_directory` reads them, resizes them to 180×180 and groups them in batches of 32; 80% train and 20% validate (seed 123).",
        "dataset_button": "Load the dataset", "class_counts": "Photos per class",
        "sample_grid": "Nine labelled photos", "batch_shapes": "A batch's shape",
        "normalisation": "Normalisation", "dataset_status": "Status",
        "dataset_summary": "**{count}** photos in {classes} classes. Training: {train} · validation: {val}.{skipped}",
        "dataset_skipped": " {count} unreadable files skipped.", "dataset_skipped_one": " 1 unreadable file skipped.",
        "shapes_text": "`image_batch.shape` = {images}  ·  `labels_batch.shape` = {labels}",
        "normalise_intro": "## Normalising pixels\nPixels go from 0 to 255; networks learn better with small inputs, so they are divided by 255. In the model the `Rescaling(1/255)` layer does it.",
        "normalise_text": "Before: min {low_before}, max {high_before} (integers 0–255). After dividing by 255: min {low_after:.3f}, max {high_after:.3f}.",
        "performance_note": "`cache()` keeps decoded photos in memory and `prefetch()` prepares the next batch while the model trains on this one.",
        "augment_intro": "## Data augmentation\nWith few photos a model memorises them (overfitting). Augmentation makes random variations of every photo in every epoch: horizontal flips, rotation, zoom and contrast. These are exactly the variations training sees. Every control changes the nine at once; the button draws nine others.",
        "flip": "Horizontal flip", "rotation": "Rotation (fraction of a turn)", "zoom": "Zoom (fraction)",
        "contrast": "Contrast", "seed": "Seed (the same seed gives the same nine)", "augment_button": "9 other variations",
        "augmented_grid": "Nine augmented versions", "augment_preset": "Settings of a preset",
        "augment_button_loading": "Loading TensorFlow…",
        "cutmix_title": "CutMix: a piece of another photo",
        "cutmix_intro": "The shipped model also trains with **CutMix**: on half the photos it pastes a box of another photo of the batch, of any size, and mixes the labels by the area each one shows (\"70 % daisy, 30 % roses\"). So it cannot rely on one part of a flower. Each photo's number is the share of its label that goes to the second photo.",
        "cutmix": "CutMix (share of photos with a box pasted in)", "cutmix_second_photo": "Second photo",
        "cutmix_share": "{share} % photo 2",
        "training_intro": "## Live training\nPick a preset and press Train: the accuracy and loss curves grow while the model learns. If training accuracy keeps rising while validation accuracy stalls, the model is **overfitting**: it memorises the training photos instead of learning flowers. Augmentation and Dropout fight it (compare `seed` with `seed_augmented`). Validation uses photos the model never trains on.",
        "preset": "Preset", "epochs": "Epochs", "batch_size": "Batch size", "image_size": "Image size (px)",
        "learning_rate": "Learning rate", "validation_split": "Validation fraction", "device": "Device",
        "train_button": "Train", "stop_button": "Stop", "training_status": "Progress",
        "accuracy_plot": "Accuracy", "loss_plot": "Loss", "model_summary": "Model summary",
        "preset_seed": "seed: the tutorial's first model", "preset_seed_augmented": "seed_augmented: with augmentation and Dropout",
        "preset_live": "live: fast, for class", "preset_flower_cnn": "flower_cnn: the shipped model's recipe",
        "status_waiting": "Queued: {count} runs ahead of yours; it starts in about {wait}. Press Stop to leave the queue.",
        "status_waiting_one": "Queued: 1 run ahead of yours; it starts in about {wait}. Press Stop to leave the queue.",
        "status_left_line": "You left the queue: nothing was trained.",
        "status_preparing": "Preparing the photos…",
        "status_downloading": "Downloading the flowers dataset: {done:.0f} of {total:.0f} MB (first time only).",
        "status_loading": "Preparing the photos: {done} of {total}.",
        "status_training": "Epoch {epoch} of {epochs}, photos at {size} px · batch {batch} of {steps} · {per_epoch} per epoch · {eta} left.",
        "status_finished": "Done: {count} epochs, validation accuracy {val_accuracy}. The Classify tab now uses your model.",
        "status_finished_one": "Done: 1 epoch, validation accuracy {val_accuracy}. The Classify tab now uses your model.",
        "status_stopped": "Stopped during epoch {epoch} of {epochs}, after {count} full epochs; the model trained so far is kept (validation accuracy {val_accuracy}) and the Classify tab uses it.",
        "status_stopped_one": "Stopped during epoch {epoch} of {epochs}, after 1 full epoch; the model trained so far is kept (validation accuracy {val_accuracy}) and the Classify tab uses it.",
        "status_stopped_between": "Stopped after {count} of {epochs} epochs; the model trained so far is kept (validation accuracy {val_accuracy}) and the Classify tab uses it.",
        "status_failed": "Training failed: {message}",
        "status_skipped": " {count} unreadable files skipped.", "status_skipped_one": " 1 unreadable file skipped.",
        "status_stop_requested": "Stopping after the current batch…",
        "status_starting": "Starting your training on a machine of the cluster…",
        "series_training": "training", "series_validation": "validation",
        "series_previous_training": "training (previous)", "series_previous_validation": "validation (previous)",
        "epoch_axis": "epoch",
        "summary_layer": "Layer (type)", "summary_shape": "Output shape", "summary_params": "Parameters",
        "summary_batch": "batch", "summary_total": "Parameters in all: **{total:,}**. \"batch\" is the number of photos that go in at once.",
        "classify_intro": "## Classify a new photo\nUpload a photo, use the webcam, paste an image or pick an example. The model outputs one score per class; softmax turns them into probabilities that add up to 100%.\n\n**The network can only choose among its five flowers.** It cannot say \"this is not a flower\": given a grey square, a house or a face, it still names one. When no class reaches 60%, you are told it is unsure.",
        "classify_button": "Classify", "top_classes": "The five most likely classes", "sentence": "Result",
        "classify_sentence": "Most likely: **{label}**, with {confidence:.1f}% confidence.",
        "classify_unsure": "⚠️ **Unsure:** no class reaches {threshold:.0f}%. Perhaps it is none of the five flowers, or the photo is hard to see.",
        "classify_right": "True class (its folder in the dataset): **{label}**. ✅ Right.",
        "classify_wrong": "True class (its folder in the dataset): **{label}**. ❌ Wrong.",
        "true_class": "True class", "examples": "Examples (the last one is not a flower)",
        "model_used_student": "Model: the one you trained in this session ({preset}).",
        "model_used_shipped": "Model: the one shipped with the app.",
        "classify_button_loading": "Loading the model…",
        "status_warming_up": "Loading TensorFlow and the model: this happens only for a few seconds as the app starts…",
        "class_daisy": "daisies", "class_dandelion": "dandelions", "class_roses": "roses",
        "class_sunflowers": "sunflowers", "class_tulips": "tulips",
        # inside the network
        "tab_inside": "Inside the network",
        "inside_intro": "## Inside the network\nSee what a trained network computes inside: the one you trained in this session, or the one shipped with the app. Choose a photo and press **Look inside**.",
        "inside_model": "Model", "inside_model_own": "The one you trained (else the shipped one)",
        "inside_model_shipped": "The one shipped with the app", "inside_button": "Look inside",
        "per_stage": "Channels per stage",
        "inside_fallback": "You have not trained a model in this session yet: this is the one shipped with the app.",
        "feature_maps_intro": "### 1. Feature maps\nEach convolution stage outputs many maps, one per filter: they light up where the filter finds its pattern. Here are each stage's most active channels (yellow = strong response, each map on its own scale). The first stages, large and with few channels, respond to edges and colours; the middle ones to textures; the last ones, small and with hundreds of channels, to flower parts (petals, centres) wherever they are.",
        "feature_maps": "Feature maps by stage",
        "stage_caption": "Stage {index}: {layer} · {height} × {width} × {channels} · the {shown} most active channels",
        "filters_intro": "### 2. Learned filters beside the hand-made kernels\nThe first Conv2D layer learns kernels of its own: one 3×3 kernel per colour channel in each filter. Each square shows one filter: top left, in colour (grey = 0); then its R, G and B weights (red positive, blue negative), with the Kernels tab's kernel it is most like and their cosine similarity (−1 to 1; a negative value is the same pattern with light and dark swapped). Click a filter to apply it to the photo.",
        "learned_filters": "First-layer filters",
        "filters_listing": "The filters as text",
        "filters_row": "| #{index} | {kernel} | {similarity:+.2f} |", "filters_header": "| Filter | Most similar kernel | Similarity |",
        "filter_caption": "#{index} ≈ {kernel}\n{similarity:+.2f}",
        "figure_filter_caption": "#{index} · {similarity:+.2f}\n{kernel}",
        "figure_stage_caption": "Stage {index}: {layer} · {height} × {width} × {channels} · the {count} most active channels",
        "figure_stage_caption_one": "Stage {index}: {layer} · {height} × {width} × {channels} · the most active channel",
        "filter_number": "Filter to apply",
        "learned_response": "The learned filter on the photo",
        "handmade_response": "The most similar hand-made kernel",
        "filter_notes": "Filter **#{index}** of `{layer}` is most like **{kernel}** (similarity {similarity:+.2f}). Left, its response to the photo: the three channels filtered and added, as Conv2D does; right, the '{kernel}' kernel's on the grey photo. Red = positive response, blue = negative.",
        "saliency_intro": "### 3. Where did it look?\nGrad-CAM colours the parts of the photo that pushed the answer towards a class most: it measures how much that class's score would change with each map of the last stage and adds the maps up with those weights. Choose another class to ask \"why roses and not tulips?\".",
        "saliency_title": "Where did the model look? (Grad-CAM)",
        "saliency_class": "Class to explain", "saliency_predicted": "The model's answer",
        "saliency_opacity": "Heatmap opacity", "saliency_image": "Where it found evidence",
        "saliency_text": "The model answers **{answer}** ({confidence:.1f} %). Warm areas show where it found evidence for **{target}** ({probability:.1f} %), from the {height}×{width} maps of its last stage (`{layer}`).",
        "saliency_mirror": " This model looks at the photo and its mirror image: the map adds both looks.",
        # evaluate, compare runs, models in and out (issue 17)
        "tab_evaluate": "Evaluate", "tab_compare": "Compare runs",
        "evaluate_intro": "## Where does the model go wrong?\nA network teaches as much through its mistakes as through its accuracy. Evaluate a model on the validation photos (the 20 % that training holds out, seed 123): its accuracy, class by class, and the **confusion matrix**, where each row is the true class and each column what the model said. The diagonal holds the right answers; everything else is a mistake.",
        "evaluate_button": "Evaluate on the validation photos",
        "evaluate_loading": "Preparing the photos: {done} of {total}",
        "evaluate_scoring": "Evaluating: {done} of {total} photos",
        "evaluate_summary": "Accuracy: **{accuracy:.1f} %** on {photos} validation photos ({split} % held out, seed 123).",
        "evaluate_per_class": "Per class: {classes}.",
        "evaluate_sampled": " {photos} of the {available} were evaluated (the server's limit).",
        "evaluate_note_run": "Your run #{number} ({preset}) held these photos out: it never trained on them.",
        "evaluate_note_shipped": "**Note:** the shipped model is a *final fit*: it was trained on every photo of the flowers dataset, these included. If this folder is that dataset, this accuracy is on photos it has already seen, and it is optimistic. Its recipe, trained on 80 % of the photos, is right on 90.3 % of the others; an earlier shipped model, right on 88.9 % there, was right on 86.0 % of 736 photos it never saw (see the model card, `docs/model-card.md`).",
        "evaluate_note_server": "This is the server's model (`{name}`): the app does not know which photos it was trained on; if on these, this accuracy is optimistic.",
        "evaluate_note_upload": "This is the model you brought (`{name}`): the app does not know which photos it was trained on; if on these, this accuracy is optimistic.",
        "confusion_image": "Confusion matrix (click a cell)",
        "confusion_title": "Confusion matrix · {accuracy:.1f} % right",
        "confusion_true": "True class", "confusion_predicted": "Predicted class",
        "evaluation_numbers": "The numbers (JSON)",
        "mistakes_intro": "### The mistakes, photo by photo\nClick a cell of the matrix, or choose the true and the predicted class, to see those photos with the model's confidence (surest first). With \"any\" you see the mistakes the model was **surest** about. Click a photo and send it to Classify to see where it looked.",
        "true_class": "True class", "predicted_class": "Predicted class", "class_any": "any",
        "mistakes_button": "Show these photos", "confident_button": "The surest mistakes",
        "mistakes_gallery": "Photos", "mistakes_caption": "{true} → {predicted} · {confidence:.0f} %",
        "mistakes_cell": "**{count}** photo(s) of **{true}** taken for **{predicted}**; here {shown}, surest first.",
        "mistakes_right": "**{count}** photo(s) of **{true}** recognised; here {shown}, surest first.",
        "mistakes_any": "The **{shown}** mistakes the model was surest about (of {count} mistakes).",
        "mistakes_any_true": "The **{shown}** surest mistakes on photos of **{true}** (of {count}).",
        "mistakes_any_predicted": "The **{shown}** surest mistakes where it said **{predicted}** (of {count}).",
        "mistakes_none": "No photos here.",
        "mistakes_selected": "Chosen: `{file}`, {true} taken for {predicted} ({confidence:.1f} %).",
        "send_classify": "Send to Classify (and see where it looked)",
        "error_pick_photo": "Click a photo in the gallery first.",
        "error_evaluation_classes": "The photo folders do not match the model's classes ({detail}).",
        "compare_intro": "## Compare runs\nEvery training run of this session is kept in the table (its settings, its time and its validation accuracy). Choose which to overlay: validation in the dark colour, training in the light one. When the training curve keeps rising and validation falls behind, the model is **over-fitting**.",
        "runs_table": "This session's runs", "runs_chosen": "Curves to overlay", "compare_metric": "Curve",
        "comparison_plot": "The chosen runs' curves",
        "run_number": "No.", "run_settings_column": "Settings", "run_seconds": "Seconds training",
        "run_best": "Best validation", "run_last": "Last validation",
        "run_settings": "{size} px · batch {batch} · rate {rate:g} · validation {split} %",
        "run_augmented": " · augmentation", "run_dropout": " · dropout {dropout}",
        "run_epochs_stopped": "{done} of {asked} (stopped)",
        "no_runs": "No runs in this session yet: train in the Training tab or start the tutorial's comparison.",
        "tutorial_compare_intro": "### The tutorial's comparison\n`seed` and then `seed_augmented`, with the same epochs: the first memorises (training far above validation); the second, with data augmentation and Dropout, over-fits less. It takes a few minutes; the last model becomes your model.",
        "compare_epochs": "Epochs for each", "compare_button": "Train seed, then seed_augmented",
        "compare_progress": "**{preset}** ({index} of 2): epoch {epoch} of {epochs} · batch {batch} of {steps}.",
        "compare_loading": "**{preset}** ({index} of 2): preparing the photos…",
        "compare_done": "Done: {first} and {second}, {epochs} epochs each. Compare the distance between training and validation in each: that is over-fitting.",
        "compare_stopped": "Comparison stopped; the finished runs are kept.",
        "export_intro": "### Taking the model home\nDownload your model (`.keras`, like the one shipped with the app) and the command that repeats the run on your computer with this same code. You can bring it back in the Classify tab.",
        "export_button": "Prepare the download", "export_file": "Model (.keras)",
        "export_command": "To repeat this run (add `--data-dir` with your photo folder; without it the tutorial's photos are downloaded):",
        "export_stopped": "It stopped after {done} of {asked} epochs: the command trains all {asked}.",
        "export_shipped": "This is the model shipped with the app; this is how it was trained (on every photo, no validation):",
        "export_upload": "This is the model you brought (`{name}`): the app does not know how it was trained.",
        "export_server": "This is the server's model (`{name}`): the app does not know how it was trained.",
        "upload_model_title": "Use your own model (.keras)",
        "upload_model_intro": "Upload a `.keras` model trained at home (`python -m flower_demo train … --out my_model.keras`, 32 MB at most). It becomes your model in this session (Classify, Inside the network, Evaluate); nobody else sees it.",
        "upload_model_file": ".keras file",
        "upload_model_done": "Model loaded: **{name}** ({side}×{side} px photos, {parameters} parameters). Classify, Inside the network and Evaluate now use it.",
        "model_used_uploaded": "Model: the one you uploaded ({name}).",
        "error_model_dropped": "Your model was freed to leave memory for the rest of the class: train or upload it again, or choose the one shipped with the app.",
        "error_model_over_memory": "This model would take more memory than the server keeps for the whole class's models ({detail}).",
        "error_no_model_file": "Choose a .keras file first.",
        "error_link_input": "Upload the file from your device: the app does not download links.",
        "error_too_many_calls": "You already have this running: wait for it to finish before asking again.",
        "error_model_too_large": "The model is too large: 32 MB and 8 million weights at most ({detail}).",
        "error_model_not_keras": "This file is not a .keras model we can read ({detail}).",
        "error_model_unsafe": "For safety this model is not loaded: only the usual layers of a CNN are accepted (Conv2D, Dense, pooling, normalisation, activations…), no code or functions such as Lambda layers ({detail}).",
        "error_model_costly": "This model costs too much for a server the whole class shares: it needs {flops:.2f} GFLOP and {memory:.0f} MB per photo; the limit is {max_flops:.2f} GFLOP and {max_memory:.0f} MB (twice the shipped model).",
        "error_model_nonfinite": "The model gives scores that are not numbers (NaN or infinity) for test pictures, so it cannot be used.",
        "error_model_settings": "Loading this model changed Keras settings for the whole server; it is not loaded ({detail}).",
        "error_model_contract": "The model does not fit the app: it must take square RGB photos of 32 to 256 px and give 5 scores, one per class ({detail}).",
        "error_no_image": "Choose an image first.",
        "error_empty": "The file is empty.",
        "error_too_large_file": "The file is too large (10 MB at most).",
        "error_not_image": "This file is not an image we can read (use JPEG, PNG, WebP, GIF or BMP).",
        "error_broken_image": "The image is damaged or incomplete.",
        "error_too_many_pixels": "The image has too many pixels: 16 megapixels at most, or 40 for a JPEG photo.",
        "error_kernel_shape": "The custom kernel must be a 3×3 or 5×5 grid.",
        "error_kernel_value": "Every kernel cell must be a finite number between -1000 and 1000 ({detail}).",
        "error_image_too_small": "With 'valid' padding the image must be at least as large as the kernel.",
        "error_setting": "Invalid setting: {detail}.",
        "setting_model": "model", "setting_class": "class", "setting_kernel": "kernel", "setting_padding": "padding",
        "setting_mode": "mode", "setting_stride": "stride",
        "error_no_stages": "This model has no convolution stages to show ({detail}).",
        "error_filter_size": "The first convolution of this model has {detail} filters and no hand-made kernel has that size: this view only compares filters the size of the Kernels tab's.",
        "error_answer_nonfinite": "The model gave no numbers for this photo (NaN or infinite), so there is no answer to show. Try another photo or another model.",
        "error_training_crashed": "an unexpected server error stopped the training ({detail}). Press Train to try again; if it happens again, tell your teacher.",
        "error_no_photos": "There are no photos in the given folder ({detail}): it needs one sub-folder per class.",
        "error_download": "The flowers dataset could not be downloaded ({detail}). Offline, download flower_photos.tgz on another computer, unpack it and point the FLOWER_DATA_DIR environment variable at the flower_photos folder.",
        "dataset_photo_button": "Random photo from the validation set",
        "error_no_local_photos": "The dataset's photos are not on this server yet: load them in the Dataset tab (or set FLOWER_DATA_DIR).",
        "error_no_model": "There is no model: train one in the Training tab.",
        "error_unknown_preset": "Unknown preset: {detail}.",
        "error_training_busy": "You are already training a model in this session: wait for it to end or press Stop.",
        "error_time_limit": "The {seconds} s limit per training run was reached.",
        "error_cluster": "the training cluster could not be used ({detail}). Tell your teacher.",
        "error_worker_lost": "the machine training your model stopped answering ({detail}). Your place is free again: press Train to start over.",
    },
}


# Languages of Spain a Spanish classroom's browser may put first: their readers get the Spanish page.
SPANISH_READERS = ("es", "ca", "eu", "gl", "ast", "an", "oc", "ext")


def pick_language(tags) -> str | None:
    """es or en for an ordered list of language tags: the first that is en, es or a language of Spain
    decides ("ca-ES, es" reads Spanish, "fr, en" English); None when none is."""
    for tag in tags:
        code = str(tag).strip().lower().split("-")[0]
        if code == "en":
            return "en"
        if code in SPANISH_READERS:
            return "es"
    return None


def language_from_header(accept_language: str | None) -> str:
    """The same rule on an Accept-Language header, its tags in q order (ties keep their order): Spanish
    when there is no header (an API client: the tutorial's language), English when nothing matches."""
    if not accept_language:
        return DEFAULT_LANGUAGE
    weighted = []
    for position, part in enumerate(accept_language.split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if tag.strip() and weight > 0:
            weighted.append((-weight, position, tag))
    return pick_language(tag for _, _, tag in sorted(weighted)) or "en"


# Gradio's own texts that its Spanish says with "usted" (the app says "tú") or leaves in English. Keys
# from Gradio 6.31's front end (gradio/templates/frontend/assets/es-*.js); gr.I18n takes a flat key
# before Gradio's own dictionary. Its icon buttons' names ("Fullscreen", "Remove Image") are not keys:
# flower_demo/server/boot_script.py names them.
GRADIO_TEXTS: dict[str, dict[str, str]] = {
    "es": {
        "upload_text.drop_image": "Suelta la imagen aquí",
        "upload_text.drop_file": "Suelta el archivo aquí",
        "upload_text.drop_gallery": "Suelta las imágenes aquí",
        "upload_text.click_to_upload": "Haz clic para subir",
        "image.allow_webcam_access": "Permite el acceso a la cámara web para grabar.",
        "common.download_all": "Descargar todo",
        "common.progress": "Progreso",
        "status.queue_position": "En la cola: {position} de {size}",
        "blocks.waiting_for_inputs": "Espera a que terminen de subirse los archivos y vuelve a intentarlo.",
        "blocks.long_requests_queue": "Hay una cola larga de peticiones: espera tu turno.",
        "blocks.connection_can_break": "En el móvil, la conexión puede cortarse si cambias de pestaña o la pantalla se apaga, y perderías tu turno en la cola.",
        "common.screen_studio": "Grabación de pantalla",
        "common.stop_recording": "Detener la grabación",
        "dataframe.filter": "Filtrar",
        "dataframe.clear_filter": "Quitar los filtros",
    },
    "en": {
        "blocks.long_requests_queue": "There is a long queue of requests: wait for your turn.",
    },
}


def translate(key: str, language: str = DEFAULT_LANGUAGE, **values) -> str:
    """The text for `key` in `language`, with `values` filled in; the key itself if unknown.

    A `count` of 1 picks the key's `_one` text where there is one ("1 época", "1 epoch"). Numbers are
    written the reader's way: a decimal comma in Spanish ("71,2 %"), a decimal point in English.
    """
    texts = TEXTS.get(language, TEXTS[DEFAULT_LANGUAGE])
    if values.get("count") == 1 and f"{key}_one" in TEXTS["en"]:
        key = f"{key}_one"
    text = texts.get(key, TEXTS["en"].get(key, key))
    return _Formatter(language).vformat(text, (), _Blank(values))


def percent(fraction: float, language: str, digits: int = 1) -> str:
    """0.712 -> "71,2 %" in Spanish (a space before %), "71.2%" in English."""
    return number(100 * fraction, f".{digits}f", language) + (" %" if language == "es" else "%")


def number(value, spec: str, language: str) -> str:
    """`format(value, spec)` with the reader's decimal mark (figures' numbers, like translate's)."""
    return _Formatter(language).format_field(value, spec)


class _Formatter(string.Formatter):
    def __init__(self, language: str):
        super().__init__()
        self.language = language

    def format_field(self, value, format_spec: str) -> str:
        text = format(value, format_spec)
        if self.language == "es" and isinstance(value, numbers.Number) and not isinstance(value, bool):
            text = text.translate(_SPANISH_MARKS)
        return text


_SPANISH_MARKS = str.maketrans(".,", ",.")  # 1,234.5 -> 1.234,5


class _Blank(dict):
    """Fills a placeholder nobody passed with an empty string: a message never fails to render."""

    def __missing__(self, key: str) -> str:
        return ""


def class_label(name: str, language: str) -> str:
    """A class folder name in the reader's language (unknown folder names are shown as they are)."""
    return translate(f"class_{name}", language) if f"class_{name}" in TEXTS["en"] else name
